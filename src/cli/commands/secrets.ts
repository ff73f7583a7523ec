/**
 * `kactus secrets reencrypt`: rewrite every Secret unchanged, so the API server seals each under
 * the first key of its EncryptionConfiguration — the middle step of a key rotation, the same as
 * Kubernetes' `kubectl get secrets -A -o json | kubectl replace -f -`. The server writes an
 * unchanged object only when it was read through an older key (or stored plain); current ones
 * are left alone, so running it twice costs nothing.
 */
import { Command } from 'commander';
import { ApiStatusError } from '../errors.ts';
import { integer } from '../flags.ts';
import { openSession, type GlobalOptions } from '../session.ts';

interface ReencryptOptions extends GlobalOptions {
  chunkSize: number;
}

interface SecretList {
  metadata?: { continue?: string };
  items: { metadata: { name: string; namespace: string; resourceVersion: string } }[];
}

export function secretsCommand(): Command {
  const secrets = new Command('secrets').description('Manage Secrets at rest');
  secrets
    .command('reencrypt')
    .description('Rewrite every Secret so it is sealed with the current encryption key (after adding a key first, before removing the old one)')
    .option('--chunk-size <n>', 'Secrets listed per request', integer, 500)
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<ReencryptOptions>();
      const { client } = await openSession(opts);
      let rewritten = 0;
      let unchanged = 0;
      let skipped = 0;
      let cont: string | undefined;
      do {
        const page = await client.json<SecretList>('GET', '/api/v1/secrets', { query: { limit: opts.chunkSize, continue: cont } });
        for (const secret of page.items) {
          const { name, namespace, resourceVersion } = secret.metadata;
          try {
            const written = await client.json<{ metadata: { resourceVersion: string } }>('PUT', `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`, { body: secret });
            if (written.metadata.resourceVersion === resourceVersion) unchanged++;
            else rewritten++;
          } catch (err) {
            // Changed or deleted since the list: that write (or delete) already used the current key.
            if (err instanceof ApiStatusError && (err.httpStatus === 409 || err.httpStatus === 404)) skipped++;
            else throw err;
          }
        }
        cont = page.metadata?.continue || undefined;
      } while (cont);
      process.stdout.write(`${rewritten} secret(s) rewritten, ${unchanged} already current, ${skipped} changed or deleted meanwhile\n`);
    });
  return secrets;
}
