/**
 * Reading and writing the small files a data dir holds (keys, certificates, tokens, kubeconfigs).
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';

/** The file's text, or undefined when it does not exist (any other error is thrown). */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Writes the file whole or not at all (a temp file beside it, then rename): a reader, or a crash
 * halfway, never sees a partial key or kubeconfig. The mode is set exactly (not through the
 * umask), private by default.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}
