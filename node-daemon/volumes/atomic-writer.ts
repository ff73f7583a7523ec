/**
 * The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): how ConfigMap, Secret,
 * downwardAPI and projected volumes are written so a reader never sees half an update.
 *
 * ```
 * <dir>/..2024_05_01_10_00_00.Ab3dEf/    the data, one timestamped directory per version
 * <dir>/..data -> ..2024_05_01_10_00_00.Ab3dEf   swapped by rename(2): atomic
 * <dir>/<key>  -> ..data/<key>           what users see (top-level names only)
 * ```
 *
 * A write that changes nothing (same paths, same bytes, same modes) touches nothing. Otherwise:
 * a new timestamped directory with the payload, `..data_tmp` pointing at it renamed over
 * `..data`, links for new top-level names, links of names no longer in the payload removed, the
 * old directory removed. A bind mount of `<dir>` sees the new data at once; a bind of one
 * resolved file (a subPath) keeps the old one, as in Kubernetes. One writer per directory.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, chmod, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** One file of a volume's payload. */
export interface FileProjection {
  data: Uint8Array;
  /** Permission bits (e.g. 0o644). */
  mode: number;
}

/** Relative path → file. */
export type Payload = ReadonlyMap<string, FileProjection>;

export const DATA_DIR = '..data';
const DATA_DIR_TMP = '..data_tmp';
const MAX_FILE_NAME = 255;
const MAX_PATH = 4096;

/** A payload path the writer refuses (the kubelet's `validatePath` messages). */
export class InvalidPayloadPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPayloadPathError';
  }
}

/** The kubelet's `validatePath`. */
export function validatePayloadPath(path: string): void {
  if (path === '') throw new InvalidPayloadPathError(`invalid path: must not be empty: "${path}"`);
  if (posix.isAbsolute(path)) throw new InvalidPayloadPathError(`invalid path: must be relative path: ${path}`);
  if (path.length > MAX_PATH) throw new InvalidPayloadPathError(`invalid path: must be less than or equal to ${MAX_PATH} characters`);
  const items = path.split('/');
  for (const item of items) {
    if (item === '..') throw new InvalidPayloadPathError(`invalid path: must not contain '..': ${path}`);
    if (item.length > MAX_FILE_NAME) throw new InvalidPayloadPathError(`invalid path: filenames must be less than or equal to ${MAX_FILE_NAME} characters`);
  }
  if (items[0]!.startsWith('..') && items[0]!.length > 2) throw new InvalidPayloadPathError(`invalid path: must not start with '..': ${path}`);
}

/** Paths cleaned (`a//b/` → `a/b`) and validated. */
function cleanPayload(payload: Payload): Map<string, FileProjection> {
  const clean = new Map<string, FileProjection>();
  for (const [path, file] of payload) {
    validatePayloadPath(path);
    clean.set(posix.normalize(path).replace(/\/$/, ''), file);
  }
  return clean;
}

/** `..2006_01_02_15_04_05.` for the time given, UTC (Go's layout in the kubelet). */
function timestampPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Every path under `dir`, relative, files and directories. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    out.push(rel);
    if (entry.isDirectory()) out.push(...(await walk(join(dir, entry.name), rel)));
  }
  return out;
}

/** The old version's paths that the new payload (with its parent directories) no longer has. */
async function pathsToRemove(oldTsDir: string | undefined, payload: Map<string, FileProjection>): Promise<Set<string>> {
  if (oldTsDir === undefined) return new Set();
  let old: string[];
  try {
    old = await walk(oldTsDir);
  } catch (err) {
    if (isMissing(err)) return new Set();
    throw err;
  }
  const keep = new Set<string>();
  for (const path of payload.keys()) {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) keep.add(parts.slice(0, i).join('/'));
  }
  return new Set(old.filter((p) => !keep.has(p)));
}

/** Whether any file of the payload differs from the old version's (bytes or mode). */
async function payloadDiffers(oldTsDir: string | undefined, payload: Map<string, FileProjection>): Promise<boolean> {
  if (oldTsDir === undefined) return true;
  for (const [path, file] of payload) {
    const full = join(oldTsDir, path);
    try {
      const [onDisk, info] = await Promise.all([readFile(full), stat(full)]);
      if ((info.mode & 0o7777) !== file.mode || !Buffer.from(file.data).equals(onDisk)) return true;
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') return true;
      throw err;
    }
  }
  return false;
}

async function currentTsDir(targetDir: string): Promise<string | undefined> {
  try {
    return await readlink(join(targetDir, DATA_DIR));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * Write `payload` into `targetDir` (made if missing) as the kubelet does. Resolves to whether
 * anything changed. Throws InvalidPayloadPathError for a bad path, before touching anything.
 */
export async function writeAtomically(targetDir: string, payload: Payload, now = new Date()): Promise<boolean> {
  const clean = cleanPayload(payload);
  await mkdir(targetDir, { recursive: true });
  const oldName = await currentTsDir(targetDir);
  const oldTsDir = oldName === undefined ? undefined : join(targetDir, oldName);
  const remove = await pathsToRemove(oldTsDir, clean);
  if (remove.size === 0 && !(await payloadDiffers(oldTsDir, clean))) return false;

  const tsDir = await mkdtemp(join(targetDir, timestampPrefix(now)));
  // Group and others must be able to walk into it, whatever the daemon's umask.
  await chmod(tsDir, 0o755);
  for (const [path, file] of clean) {
    const full = join(tsDir, path);
    await mkdir(posix.dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, file.data, { mode: file.mode });
    await chmod(full, file.mode);
  }

  const tmpLink = join(targetDir, DATA_DIR_TMP);
  await rm(tmpLink, { force: true });
  await symlink(posix.basename(tsDir), tmpLink);
  await rename(tmpLink, join(targetDir, DATA_DIR));

  for (const path of clean.keys()) {
    const top = path.split('/')[0]!;
    const visible = join(targetDir, top);
    try {
      await lstat(visible);
    } catch (err) {
      if (!isMissing(err)) throw err;
      await symlink(`${DATA_DIR}/${top}`, visible);
    }
  }
  for (const path of remove) {
    if (!path.includes('/')) await rm(join(targetDir, path), { force: true });
  }
  if (oldTsDir !== undefined) await rm(oldTsDir, { recursive: true, force: true });
  return true;
}
