/**
 * `kactus token create`: a join token for a new node, stored as kubeadm stores one (a
 * `bootstrap.kubernetes.io/token` Secret in kube-system), and the whole line to run on the new
 * machine, with the masters' mesh addresses read from `kube-public/kactus-mesh`.
 */
import { Command } from 'commander';
import { bootstrapTokenSecret, joinCommandFor } from '../../master/join-authority.ts';
import { MESH_CONFIGMAP, meshAddressesOf } from '../../master/mesh-directory.ts';
import { CliError } from '../errors.ts';
import { integer } from '../flags.ts';
import { openSession, type GlobalOptions } from '../session.ts';

interface TokenCreateOptions extends GlobalOptions {
  ttl: number;
}

export function tokenCommand(): Command {
  const token = new Command('token').description('Manage join tokens for node daemons');
  token
    .command('create')
    .description('Create a join token and print the command that joins a new node with it')
    .option('--ttl <seconds>', 'how long the token stays valid', integer, 24 * 60 * 60)
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<TokenCreateOptions>();
      const { client } = await openSession(opts);
      const mesh = await client.json<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${MESH_CONFIGMAP.namespace}/configmaps/${MESH_CONFIGMAP.name}`);
      const addrs = meshAddressesOf(mesh.data);
      if (addrs.length === 0) throw new CliError('no master has published its mesh addresses (kube-public/kactus-mesh is empty)');
      const { secret, token: text } = bootstrapTokenSecret(new Date(), opts.ttl);
      await client.json('POST', '/api/v1/namespaces/kube-system/secrets', { body: secret });
      process.stdout.write(`${text}\n${joinCommandFor(addrs, text)}\n`);
    });
  return token;
}
