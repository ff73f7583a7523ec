/**
 * The data-dir lock as `kactus up` users meet it (issue 14): `kill -9` followed at once by a
 * restart starts (the kernel released the lock with the dead process, before it was even
 * reaped); a second `kactus up` on a dir in use exits 1 naming the holder's pid. Hollow runtime
 * and no pod network: nothing on the host is touched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run, startKactusServer, kactusBin, type KactusServer } from '../e2e/harness.ts';

const servers: KactusServer[] = [];
let dir: string | undefined;

afterEach(async () => {
  for (const s of servers.splice(0)) await s.proc.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

function up(dataDir: string): Promise<KactusServer> {
  return startKactusServer(['up', '--data-dir', dataDir, '--port', '0', '--runtime', 'hollow', '--pod-network', 'none'], 60_000).then((s) => {
    servers.push(s);
    return s;
  });
}

describe('kactus up data-dir lock', () => {
  it('restarts at once after kill -9; a second kactus up on a dir in use names the holder', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-uplock-'));
    const dataDir = join(dir, 'data');
    const first = await up(dataDir);
    // No wait for the exit: the restart races the dying process.
    first.proc.child.kill('SIGKILL');
    const second = await up(dataDir);

    const third = await run(process.execPath, [kactusBin, 'up', '--data-dir', dataDir, '--port', '0', '--runtime', 'hollow', '--pod-network', 'none'], { timeoutMs: 60_000 });
    expect(third.code).toBe(1);
    expect(third.stderr).toContain(`${join(dataDir, 'store')} is in use by pid ${second.proc.child.pid}`);
  }, 180_000);
});
