import { describe, expect, it } from 'vitest';
import type { FenceRecord } from './files.ts';
import { FENCE_WATCHDOG_LAG_MS, FENCE_WATCHDOG_POLL_MS, nextStep, runFenceWatchdog } from './watchdog.ts';

const writer = { pid: 42, startTicks: 7 };
const ms = (n: number): bigint => BigInt(n) * 1_000_000n;
const armed = (deadlineMs: number): FenceRecord => ({ writer, deadlineNs: String(ms(deadlineMs)), fenceAfterMs: 4000 });

describe('fence watchdog decisions (nextStep)', () => {
  it('waits, unarmed, while its daemon lives; leaves once the daemon is gone without a renewal', () => {
    const unarmed: FenceRecord = { writer, deadlineNs: null, fenceAfterMs: 0 };
    expect(nextStep({ record: unarmed, nowNs: ms(1e9), fencedFor: undefined, writerAlive: true })).toEqual({ kind: 'wait', ms: FENCE_WATCHDOG_POLL_MS });
    expect(nextStep({ record: unarmed, nowNs: ms(1e9), fencedFor: undefined, writerAlive: false }).kind).toBe('exit');
    expect(nextStep({ record: undefined, nowNs: 0n, fencedFor: undefined, writerAlive: false }).kind).toBe('wait');
  });

  it('fences once the deadline plus the lag has passed, whether the daemon lives or not', () => {
    const record = armed(10_000);
    expect(nextStep({ record, nowNs: ms(10_000 + FENCE_WATCHDOG_LAG_MS - 1), fencedFor: undefined, writerAlive: false })).toEqual({ kind: 'wait', ms: 1 });
    expect(nextStep({ record, nowNs: ms(9_000), fencedFor: undefined, writerAlive: true })).toEqual({ kind: 'wait', ms: FENCE_WATCHDOG_POLL_MS });
    for (const writerAlive of [true, false]) {
      expect(nextStep({ record, nowNs: ms(10_000 + FENCE_WATCHDOG_LAG_MS), fencedFor: undefined, writerAlive })).toEqual({ kind: 'fence', deadlineNs: String(ms(10_000)), fenceAfterMs: 4000 });
    }
  });

  it('after a fence: waits for a frozen daemon, leaves when the daemon is gone; a newer deadline re-arms it', () => {
    const record = armed(10_000);
    const fencedFor = String(ms(10_000));
    expect(nextStep({ record, nowNs: ms(20_000), fencedFor, writerAlive: true }).kind).toBe('wait');
    expect(nextStep({ record, nowNs: ms(20_000), fencedFor, writerAlive: false }).kind).toBe('exit');
    expect(nextStep({ record: armed(30_000), nowNs: ms(20_000), fencedFor, writerAlive: true }).kind).toBe('wait');
    expect(nextStep({ record: armed(30_000), nowNs: ms(31_000), fencedFor, writerAlive: true }).kind).toBe('fence');
  });

  it('leaves at once when the daemon retired it', () => {
    expect(nextStep({ record: { writer, retired: true }, nowNs: 0n, fencedFor: undefined, writerAlive: true }).kind).toBe('exit');
  });

  it('gives up a failing fence only when the daemon and its record are both gone', () => {
    const record = armed(1000);
    const due = { record, nowNs: ms(2000), fencedFor: undefined, fenceFailed: 'connect ENOENT /run/docker.sock' };
    expect(nextStep({ ...due, writerAlive: false, recordGone: true })).toMatchObject({ kind: 'exit', why: expect.stringContaining('ENOENT') });
    // Either one still there: the pods may yet be reachable and someone may still care — retry.
    expect(nextStep({ ...due, writerAlive: true, recordGone: true }).kind).toBe('fence');
    expect(nextStep({ ...due, writerAlive: false, recordGone: false }).kind).toBe('fence');
    expect(nextStep({ ...due, fenceFailed: undefined, writerAlive: false, recordGone: true }).kind).toBe('fence');
  });
});

describe('fence watchdog loop (runFenceWatchdog) on a simulated clock', () => {
  it('stops the pods once per deadline, retries a failed stop, and ends when the daemon is gone', async () => {
    let now = 0n;
    let record: FenceRecord = armed(4000);
    let writerAlive = true;
    let failNext = true;
    const stops: bigint[] = [];
    const lines: string[] = [];
    const why = await runFenceWatchdog({
      read: () => record,
      nowNs: () => now,
      writerAlive: () => writerAlive,
      stopAll: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('engine busy');
        }
        stops.push(now);
        return 2;
      },
      log: (l) => void lines.push(l),
      sleep: async (waitMs) => {
        now += ms(waitMs);
        // A renewal at 3 s pushes the deadline to 7 s; after the fence the daemon dies at 12 s.
        if (now >= ms(3000) && now < ms(3000 + FENCE_WATCHDOG_POLL_MS)) record = armed(7000);
        if (now >= ms(12_000)) writerAlive = false;
      },
      stopped: () => false,
    });
    expect(stops).toHaveLength(1);
    expect(stops[0]! >= ms(7000 + FENCE_WATCHDOG_LAG_MS)).toBe(true);
    expect(stops[0]! < ms(7000 + FENCE_WATCHDOG_LAG_MS + 2 * FENCE_WATCHDOG_POLL_MS)).toBe(true);
    expect(lines.some((l) => l.includes('engine busy'))).toBe(true);
    expect(lines.some((l) => l.includes('2 running container(s) stopped'))).toBe(true);
    expect(why).toContain('gone');
  });

  it('keeps the last record when the file vanishes (data dir removed): fences when due, leaves once the daemon is gone', async () => {
    let now = 0n;
    let reads = 0;
    const stops: bigint[] = [];
    const why = await runFenceWatchdog({
      read: () => (reads++ === 0 ? armed(1000) : undefined),
      nowNs: () => now,
      writerAlive: () => false,
      stopAll: async () => {
        stops.push(now);
        return 0;
      },
      log: () => {},
      sleep: async (waitMs) => void (now += ms(waitMs)),
      stopped: () => false,
    });
    expect(stops).toHaveLength(1);
    expect(why).toContain('gone');
  });

  it('leaves when the engine is gone with the daemon and its data dir, instead of retrying forever', async () => {
    let now = 0n;
    let reads = 0;
    let attempts = 0;
    const why = await runFenceWatchdog({
      read: () => (reads++ === 0 ? armed(1000) : undefined),
      nowNs: () => now,
      writerAlive: () => false,
      stopAll: async () => {
        attempts++;
        throw new Error('connect ENOENT /run/kactus-test/docker.sock');
      },
      log: () => {},
      sleep: async (waitMs) => void (now += ms(waitMs)),
      stopped: () => attempts > 5,
    });
    expect(attempts).toBe(1);
    expect(why).toContain('cannot be stopped');
  });
});
