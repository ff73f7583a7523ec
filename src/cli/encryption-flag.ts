/**
 * `--encryption-provider-config FILE` of `up` and `master`: which EncryptionConfiguration the
 * store's Secrets are sealed with (src/registry/encryption/README.md).
 *
 * Without the flag:
 * - over an embedded store (`kactus up`, an embedded `kactus master`): one master owns the store,
 *   so it makes and keeps its own key file, `DATA_DIR/encryption-config.yaml` (0600);
 * - over etcd: refused. Every master must seal and open with the same keys; a key made by one
 *   master alone would leave the others unable to read its Secrets (and the cluster's shared
 *   identity and signing key are Secrets). Give every master the same file — or, to store Secrets
 *   in plaintext knowingly, a file whose only provider is `identity: {}`.
 * - with a local etcd member (`--cluster-init` / `--server`, etcd-member-flags.ts): not asked here;
 *   the first master makes `DATA_DIR/encryption-config.yaml` and joiners receive it when they join.
 */
import { mkdir } from 'node:fs/promises';
import type { EncryptionConfig } from '../registry/encryption/config.ts';
import { ensureDefaultEncryptionConfig, readEncryptionConfig } from '../registry/encryption/config-file.ts';
import { CliError } from './errors.ts';

export const ENCRYPTION_FLAG = '--encryption-provider-config <file>';
export const ENCRYPTION_FLAG_HELP = 'EncryptionConfiguration (apiserver.config.k8s.io/v1) for Secrets at rest (default: a key made in the data dir; required over etcd)';

export interface ResolvedEncryption {
  config: EncryptionConfig;
  path: string;
  /** The file was made just now (no flag, first start). */
  created: boolean;
}

/** The configuration the flag names, or the data dir's own for an embedded store; CliError over etcd without the flag. */
export async function resolveEncryption(flag: string | undefined, dataDir: string, storeUri: string): Promise<ResolvedEncryption> {
  if (flag !== undefined) return { config: await readEncryptionConfig(flag), path: flag, created: false };
  if (!storeUri.startsWith('embedded://')) {
    throw new CliError(
      'a master over a shared store needs --encryption-provider-config FILE, the same file on every master: ' +
        'Secrets are encrypted at rest and every master must read what the others wrote ' +
        '(to keep them in plaintext knowingly, give a file whose only provider is "identity: {}"); ' +
        'masters with their own etcd members (--cluster-init, then --server URL --token T) share the first one\'s key without the flag',
    );
  }
  await mkdir(dataDir, { recursive: true });
  return ensureDefaultEncryptionConfig(dataDir);
}

/** The line `up` and `master` print: what seals Secrets (never the key itself). */
export function describeEncryption(resolved: ResolvedEncryption): string {
  const parts = resolved.config.resources.map((entry) => {
    const first = entry.providers[0]!;
    const sealer = first.type === 'identity' ? 'identity (not encrypted)' : `${first.type} key ${first.keys[0]!.name}`;
    return `${entry.resources.join(',')}: ${sealer}`;
  });
  return `kactus: encryption at rest: ${parts.join('; ')} (${resolved.created ? 'new config ' : 'config '}${resolved.path})`;
}
