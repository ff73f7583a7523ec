/**
 * Memory-backed emptyDirs (`medium: Memory`) as the kubelet makes them: a tmpfs mounted by the
 * node daemon on the volume's host directory, so every container of the pod binds the same
 * tmpfs (Docker's own `--tmpfs` is per container and could not be shared). Needs the right to
 * mount (root); the mount outlives the daemon (a restarted daemon's adopted pods keep it) and is
 * unmounted when the pod's files are removed.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** /proc/self/mounts escapes spaces, tabs, newlines and backslashes as octal. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points at or under `dir`, deepest first (the order to unmount them). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mounts', 'utf8');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return table
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((p): p is string => p !== undefined)
    .map(unescapeMountPath)
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** Mount a tmpfs on `dir` (an existing directory) unless one is there already. */
export async function mountTmpfs(dir: string, sizeBytes?: number): Promise<void> {
  if ((await mountsUnder(dir)).includes(dir)) return;
  const options = ['mode=0777', ...(sizeBytes === undefined ? [] : [`size=${sizeBytes}`])].join(',');
  try {
    await run('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`mount failed: ${stderr || (err as Error).message}`);
  }
}

/** Unmount every mount at or under `dir` (lazily, so a file still open in it cannot block the pod's removal). */
export async function unmountAll(dir: string): Promise<void> {
  for (const mountPoint of await mountsUnder(dir)) await run('umount', ['-l', mountPoint]);
}
