/**
 * `kactus token create`: a join token for a new node, stored as kubeadm stores one (a
 * `bootstrap.kubernetes.io/token` Secret in kube-system), and the whole line to run on the new
 * machine, with the masters' mesh addresses read from `kube-public/kactus-mesh`.
 * `kactus token create --master`: a token that joins a master to the etcd cluster instead, in
 * k3s's `K10<CA hash>::<id>.<secret>` form (src/master/etcd/master-token.ts), and its line.
 * `kactus token list`: the tokens (id, time left, expiry, usages, description; never the secret
 * part). `kactus token delete <id|token>…`: revokes them by deleting their Secret — nothing can
 * join with them any more (nodes that joined with one keep their Node and their certificate, as
 * with kubeadm).
 */
import { Command } from 'commander';
import { BOOTSTRAP_TOKEN_TYPE, bootstrapTokenSecret, joinCommandFor } from '../../master/join-authority.ts';
import type { KubeObject } from '../../api/object.ts';
import { humanDuration } from '../table.ts';
import { MESH_CONFIGMAP, meshAddressesOf } from '../../master/mesh-directory.ts';
import { CliError } from '../errors.ts';
import { formatMasterJoinToken, masterJoinCommandFor, masterJoinTokenSecret } from '../../master/etcd/master-token.ts';
import { integer } from '../flags.ts';
import { openSession, type GlobalOptions } from '../session.ts';

interface TokenCreateOptions extends GlobalOptions {
  ttl: number;
  master?: boolean;
}

export function tokenCommand(): Command {
  const token = new Command('token').description('Manage join tokens for node daemons');
  token
    .command('create')
    .description('Create a join token and print the command that joins a new node with it')
    .option('--ttl <seconds>', 'how long the token stays valid (0 = never expires)', integer, 24 * 60 * 60)
    .option('--master', 'a token that joins a master (kactus master --server URL --token T), not a node')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<TokenCreateOptions>();
      const { client } = await openSession(opts);
      if (opts.master) {
        // The CA exactly as the masters serve it: the token carries its hash (src/master/etcd/master-token.ts).
        const ca = await client.request('GET', '/cacerts');
        if (ca.status !== 200) throw new CliError(`the server did not give its CA certificate (GET /cacerts: ${ca.status})`);
        const { secret, credentials } = masterJoinTokenSecret(new Date(), opts.ttl);
        await client.json('POST', '/api/v1/namespaces/kube-system/secrets', { body: secret });
        const text = formatMasterJoinToken(ca.body, credentials);
        process.stdout.write(`${text}\n${masterJoinCommandFor(client.conn.server, text)}\n`);
        return;
      }
      const mesh = await client.json<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${MESH_CONFIGMAP.namespace}/configmaps/${MESH_CONFIGMAP.name}`);
      const addrs = meshAddressesOf(mesh.data);
      if (addrs.length === 0) throw new CliError('no master has published its mesh addresses (kube-public/kactus-mesh is empty)');
      const { secret, token: text } = bootstrapTokenSecret(new Date(), opts.ttl);
      await client.json('POST', '/api/v1/namespaces/kube-system/secrets', { body: secret });
      process.stdout.write(`${text}\n${joinCommandFor(addrs, text)}\n`);
    });
  token
    .command('list')
    .description('List join tokens (their ids; the secret part is never shown)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { client } = await openSession(cmd.optsWithGlobals<GlobalOptions>());
      const list = await client.json<{ items: KubeObject[] }>('GET', '/api/v1/namespaces/kube-system/secrets');
      const tokens = list.items.filter((s) => s.type === BOOTSTRAP_TOKEN_TYPE);
      process.stdout.write(formatTokenList(tokens, new Date()));
    });
  token
    .command('delete')
    .description('Revoke join tokens: nothing can join with them any more')
    .argument('<token...>', 'token ids (`abcdef`) or whole tokens (`abcdef.0123456789abcdef`)')
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      const { client } = await openSession(cmd.optsWithGlobals<GlobalOptions>());
      for (const given of ids) {
        const id = tokenIdOf(given);
        await client.json('DELETE', `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}`);
        process.stdout.write(`bootstrap token "${id}" deleted\n`);
      }
    });
  return token;
}

/** The id of `abcdef` or `abcdef.<secret>`; CliError for anything else. */
export function tokenIdOf(given: string): string {
  const m = /^([a-z0-9]{6})(\.[a-z0-9]{16})?$/.exec(given.trim());
  if (!m) throw new CliError(`"${given}" is not a token id ([a-z0-9]{6}) or a token ([a-z0-9]{6}.[a-z0-9]{16})`);
  return m[1]!;
}

const field = (secret: KubeObject, key: string): string => {
  const v = (secret.data as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '';
};

/** kubeadm's `token list` columns, the token shown by its id only. */
export function formatTokenList(secrets: KubeObject[], now: Date): string {
  const rows = [['ID', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION']];
  for (const s of secrets) {
    const expiration = field(s, 'expiration');
    const left = expiration ? Math.floor((Date.parse(expiration) - now.getTime()) / 1000) : undefined;
    const ttl = left === undefined || Number.isNaN(left) ? '<forever>' : left <= 0 ? '<expired>' : humanDuration(left);
    const usages = Object.keys((s.data as Record<string, unknown> | undefined) ?? {})
      .filter((k) => k.startsWith('usage-bootstrap-') && field(s, k) === 'true')
      .map((k) => k.slice('usage-bootstrap-'.length))
      .join(',');
    rows.push([field(s, 'token-id'), ttl, expiration || '<never>', usages || '<none>', field(s, 'description') || '<none>']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('')).join('\n') + '\n';
}
