/**
 * One process (and one store instance) per data dir: two writers appending to one WAL would
 * corrupt it. The LOCK file holds the owner's pid; a lock whose pid is dead (kill -9) is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The data dir is open in another live process or another store in this one. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`embedded store dir ${dir} is in use by pid ${pid}`);
    this.name = 'DataDirLockedError';
  }
}

const heldHere = new Set<string>();

/** Take the lock on `dir`; returns the release function. */
export function lockDataDir(dir: string): () => void {
  const abs = resolve(dir);
  if (heldHere.has(abs)) throw new DataDirLockedError(abs, process.pid);
  const path = join(abs, 'LOCK');
  const owner = readOwner(path);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw new DataDirLockedError(abs, owner);
  writeFileSync(path, String(process.pid));
  heldHere.add(abs);
  return () => {
    heldHere.delete(abs);
    rmSync(path, { force: true });
  };
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
