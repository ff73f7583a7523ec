import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../os/dir-lock.ts';
import { openEmbeddedStore } from './index.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const writerPath = fileURLToPath(new URL('../../../test/fault/crash-writer.ts', import.meta.url));

/** A child process with the store open in `dir`, writing; resolves once it has acknowledged `acks` writes. */
function startWriter(dir: string, acks: number, tag = 'lock'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', writerPath, dir, '4', '100000', tag], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let seen = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('A ') && ++seen === acks) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`writer exited (${code}) before ${acks} writes: ${stderr}`)));
  });
}

const children: ChildProcess[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-dirlock-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('data-dir lock', () => {
  it('refuses a dir another live process holds, naming its pid', async () => {
    const writer = await startWriter(dir, 10);
    const err = await lockDataDir(dir, { waitMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as DataDirLockedError).pid).toBe(writer.pid);
    expect((err as Error).message).toContain(`is in use by pid ${writer.pid}`);
  });

  it('opens at once after kill -9 of the holder, without waiting for it to be reaped', async () => {
    const waits: number[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      const writer = await startWriter(dir, 50, `lock${cycle}`);
      // Killed mid-write (four writers in flight); the next open starts before the exit is seen.
      writer.kill('SIGKILL');
      const t0 = performance.now();
      const store = await openEmbeddedStore(dir);
      waits.push(performance.now() - t0);
      expect(await store.currentRevision()).toBeGreaterThanOrEqual(50);
      expect((await readFile(join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid));
      await store.close();
    }
    console.log(`reopen after kill -9 (lock + recovery), ms: ${waits.map((w) => w.toFixed(0)).join(', ')}`);
  });

  it('ignores a LOCK file naming a live pid when no one holds the lock (pid reuse)', async () => {
    await writeFile(join(dir, 'LOCK'), String(process.ppid));
    const release = await lockDataDir(dir);
    release();
  });

  it('one store per dir in this process too; released on close', async () => {
    const release = await lockDataDir(dir);
    const t0 = performance.now();
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    expect(performance.now() - t0).toBeLessThan(100);
    release();
    release();
    const again = await lockDataDir(dir, { waitMs: 0 });
    again();
  });
});
