/**
 * The watchdog as a real process against a real process runtime (no masters): started, reused,
 * replaced when it guards another scope, fencing a container once its deadline passes, retired.
 * What happens when the daemon itself dies is test/e2e/node-fence.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRuntimeDir } from '../runtime/open.ts';
import { ProcessRuntime } from '../runtime/process.ts';
import type { RuntimeEvent } from '../../src/runtime/types.ts';
import { isAlive, type ProcessIdentity } from './files.ts';
import { FenceWatchdog } from './launcher.ts';
import { FENCE_WATCHDOG_LAG_MS } from './watchdog.ts';

let dir: string;
let runtime: ProcessRuntime;
const started: ProcessIdentity[] = [];

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-fence-'));
  runtime = await ProcessRuntime.open({ dataDir: processRuntimeDir(dir) });
});

afterAll(async () => {
  await runtime?.close();
  for (const p of started) if (isAlive(p)) process.kill(p.pid, 'SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('fence watchdog (real processes)', () => {
  it('is started once per data dir, reused, and replaced when it guards another scope', async () => {
    const opts = { dataDir: dir, runtime: 'process' as const, scope: 'n1-abcdefgh', log: () => {} };
    const first = await FenceWatchdog.ensure(opts);
    started.push(first.process);
    expect(isAlive(first.process)).toBe(true);
    const again = await FenceWatchdog.ensure(opts);
    expect(again.process).toEqual(first.process);
    const other = await FenceWatchdog.ensure({ ...opts, scope: 'n1-zzzzzzzz' });
    started.push(other.process);
    expect(other.process.pid).not.toBe(first.process.pid);
    await until('the replaced watchdog exits', () => !isAlive(first.process), 5000);
    await other.retire();
    await until('the retired watchdog exits', () => !isAlive(other.process), 5000);
  }, 60_000);

  it('kills the pods once the deadline passes without a renewal, not before; retired, it exits', async () => {
    const { sandboxId } = await runtime.createSandbox({ uid: 'u1', namespace: 'default', name: 'p1' });
    const id = await runtime.createContainer(sandboxId, { name: 'main', image: 'busybox', command: ['sleep', '600'] }, []);
    const exits: RuntimeEvent[] = [];
    runtime.onEvent((e) => void (e.type === 'exited' && exits.push(e)));
    await runtime.startContainer(id);
    const watchdog = await FenceWatchdog.ensure({ dataDir: dir, runtime: 'process', scope: 'n1-abcdefgh', log: () => {} });
    started.push(watchdog.process);
    // Renewed every 200 ms with 600 ms left: never due.
    for (let i = 0; i < 8; i++) {
      watchdog.renew(600, 4000);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(exits).toEqual([]);
    const t0 = performance.now();
    watchdog.renew(500, 4000);
    await until('the container killed', () => exits.length > 0, 10_000);
    const tookMs = performance.now() - t0;
    console.log(`fence watchdog: container killed ${tookMs.toFixed(0)} ms after a renewal with 500 ms left (lag ${FENCE_WATCHDOG_LAG_MS} ms)`);
    expect(exits[0]).toMatchObject({ containerId: id, exitCode: 137 });
    expect(tookMs).toBeGreaterThanOrEqual(500 + FENCE_WATCHDOG_LAG_MS - 50);
    expect(tookMs).toBeLessThan(500 + FENCE_WATCHDOG_LAG_MS + 1000);
    // Its writer (this process) lives: it stays, waiting for a renewal.
    expect(isAlive(watchdog.process)).toBe(true);
    await watchdog.retire();
    expect(isAlive(watchdog.process)).toBe(false);
  }, 60_000);
});
