/**
 * One process (and one store instance) per data dir: two writers appending to one WAL would
 * corrupt it. The lock is an advisory flock(2) on `DIR/LOCK`, as etcd's and bbolt's are: the
 * kernel drops it when the holder's last descriptor of the file closes — at exit, `kill -9`
 * included — so a restart right after a crash never trips over a dead owner, and a reused pid
 * never keeps a dir locked (the pid file this replaces could do both).
 *
 * Node has no flock in core, and the npm packages that add it are native add-ons (`fs-ext` is
 * compiled at install, which npm 11 skips; `fs-native-extensions` ships prebuilt binaries)
 * while `proper-lockfile` is an mtime lock that a killed holder leaves behind for its stale
 * period. So the lock is taken by util-linux's `flock(1)` (Debian: essential) on OUR
 * descriptor, passed to it as fd 3: flock locks belong to the open file description, not to the
 * process that asked, so once flock(1) exits the lock is held by our descriptor alone, until we
 * close it or die. libuv opens files close-on-exec, so no later child of ours inherits it.
 *
 * `LOCK` also holds the holder's pid, written once the lock is ours: only for the error message.
 * The file is never removed (unlinking a lock file lets two openers lock two different inodes).
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The data dir is open in another live process or another store in this one. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    /** The holder's pid as it wrote it in LOCK (undefined when it has not yet). */
    readonly pid: number | undefined,
  ) {
    super(`embedded store dir ${dir} is in use by ${pid === undefined ? 'another process' : `pid ${pid}`} (it holds the lock on ${join(dir, 'LOCK')})`);
    this.name = 'DataDirLockedError';
  }
}

export interface DirLockOptions {
  /**
   * How long to wait for a held lock before giving up (default 2 s): a holder that was just
   * killed may still be finishing an fsync in the kernel, and its descriptors close only then.
   */
  waitMs?: number;
}

const heldHere = new Set<string>();

/** Take the lock on `dir` (which must exist); resolves to the release function. */
export async function lockDataDir(dir: string, opts: DirLockOptions = {}): Promise<() => void> {
  const abs = resolve(dir);
  // A second store in this process would wait for itself: answer at once.
  if (heldHere.has(abs)) throw new DataDirLockedError(abs, process.pid);
  heldHere.add(abs);
  const path = join(abs, 'LOCK');
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    if (!(await flockExclusive(fd, opts.waitMs ?? 2000))) throw new DataDirLockedError(abs, readOwner(path));
    ftruncateSync(fd, 0);
    writeSync(fd, String(process.pid), 0);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    heldHere.delete(abs);
    throw err;
  }
  const held = fd;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    heldHere.delete(abs);
    // Closing the descriptor is what releases the lock; the emptied file stays for the next opener.
    ftruncateSync(held, 0);
    closeSync(held);
  };
}

/** `flock --exclusive --wait S 3` on our `fd`: true when the lock is ours, false when another holds it. */
function flockExclusive(fd: number, waitMs: number): Promise<boolean> {
  return new Promise((done, fail) => {
    const child = spawn('flock', ['--exclusive', '--wait', String(waitMs / 1000), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'ENOENT' ? new Error('flock(1) not found: the data-dir lock needs util-linux') : err),
    );
    child.once('close', (code) => {
      if (code === 0) done(true);
      // flock(1) exits 1 when the lock stayed taken for the whole wait.
      else if (code === 1) done(false);
      else fail(new Error(`flock(1) failed on the data-dir lock (exit ${code}): ${stderr.trim()}`));
    });
  });
}

function readOwner(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    const pid = Number.parseInt(text, 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
