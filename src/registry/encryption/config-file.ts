/**
 * The configuration file on disk: read the one `--encryption-provider-config` names, or make the
 * default one a single-machine cluster keeps in its data dir (one fresh AES-GCM key, then
 * `identity` so Secrets written before encryption was on still read; mode 0600, created once and
 * never overwritten).
 */
import { randomBytes } from 'node:crypto';
import { access, link, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ENCRYPTION_CONFIG_API_VERSION, ENCRYPTION_CONFIG_KIND, EncryptionConfigError, parseEncryptionConfig, type EncryptionConfig } from './config.ts';

/** Where `kactus up` (and an embedded-store `kactus master`) keeps its generated configuration. */
export const DEFAULT_ENCRYPTION_CONFIG_FILE = 'encryption-config.yaml';

/** Reads and checks the EncryptionConfiguration at `path`; the error names the file and the field. */
export async function readEncryptionConfig(path: string): Promise<EncryptionConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new EncryptionConfigError(`cannot read encryption provider config ${path}: ${(err as Error).message}`);
  }
  try {
    return parseEncryptionConfig(text);
  } catch (err) {
    throw new EncryptionConfigError(`encryption provider config ${path}: ${(err as Error).message}`);
  }
}

/** A new configuration: Secrets sealed with AES-GCM under one random 32-byte key, plain ones still readable. */
export function newEncryptionConfigYaml(keyName = 'key1'): string {
  return stringify({
    apiVersion: ENCRYPTION_CONFIG_API_VERSION,
    kind: ENCRYPTION_CONFIG_KIND,
    resources: [{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: keyName, secret: randomBytes(32).toString('base64') }] } }, { identity: {} }] }],
  });
}

/**
 * `DIR/encryption-config.yaml`, made first if it does not exist: written (0600) and fsync'd under a
 * temporary name, then hard-linked into place, which fails if the file exists — so a crash never
 * leaves half a key, and of two processes racing only the first key is ever used.
 */
export async function ensureDefaultEncryptionConfig(dir: string): Promise<{ path: string; config: EncryptionConfig; created: boolean }> {
  const path = join(dir, DEFAULT_ENCRYPTION_CONFIG_FILE);
  let created = false;
  if (!(await exists(path))) {
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      const file = await open(tmp, 'wx', 0o600);
      try {
        await file.writeFile(newEncryptionConfigYaml());
        await file.sync();
      } finally {
        await file.close();
      }
      await link(tmp, path);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return { path, config: await readEncryptionConfig(path), created };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
