/**
 * The master join token `--cluster-init` makes once (k3s writes its server token to
 * `server/token` the same way): a `kactus-master-join` bootstrap token that never expires (revoke
 * it with `kactus token delete <id>`), kept in `DATA_DIR/master-join-token` (0600) in the `K10`
 * form, so the first master can print the line that joins the others on every start.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../os/files.ts';
import { join } from 'node:path';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { Registry } from '../../registry/registry.ts';
import { isNotFound } from '../../registry/retry-on-conflict.ts';
import { formatMasterJoinToken, masterJoinTokenSecret, parseMasterJoinToken } from './master-token.ts';

export const MASTER_TOKEN_FILE = 'master-join-token';
const SECRETS = findKind('v1', 'Secret') as ResourceInfo;

/** The token in `DATA_DIR/master-join-token`, if any. */
export async function readClusterInitToken(dataDir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dataDir, MASTER_TOKEN_FILE), 'utf8')).trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The saved token, else a new one: its Secret created through `registry`, then the file written.
 * Undefined when the saved one was revoked (its Secret deleted: `kactus token delete`) — it is
 * not made again behind the admin's back.
 */
export async function ensureClusterInitToken(registry: Registry, dataDir: string, caCertPem: string): Promise<string | undefined> {
  const saved = await readClusterInitToken(dataDir);
  if (saved) {
    const id = parseMasterJoinToken(saved)?.credentials.slice(0, 6);
    if (id === undefined) return undefined;
    try {
      await registry.get(SECRETS, 'kube-system', `bootstrap-token-${id}`);
      return saved;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
  const { secret, credentials } = masterJoinTokenSecret(new Date(), 0);
  await registry.create(SECRETS, 'kube-system', secret);
  const token = formatMasterJoinToken(caCertPem, credentials);
  const path = join(dataDir, MASTER_TOKEN_FILE);
  await writeFileAtomic(path, `${token}\n`);
  return token;
}
