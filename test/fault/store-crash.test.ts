/**
 * Long kill -9 run of the embedded store (`npm run test:fault`): many cycles of a concurrent
 * writer killed at random points, including during snapshots, each followed by a full check that
 * every acknowledged write survived and no revision went backwards or was reused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCrashCycles } from '../../src/store/embedded/crash-harness.ts';

const CYCLES = Number(process.env.KACTUS_CRASH_CYCLES ?? 100);

describe('embedded store crash soak', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged write across ${CYCLES} kill -9 cycles`, { timeout: 900_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-crash-soak-'));
    const report = await runCrashCycles({ dir, cycles: CYCLES, concurrency: 16, killAfterAcks: [1, 1000], snapshotEveryRecords: 250 });
    expect(report.cycles).toBe(CYCLES);
    expect(report.finalRevision).toBeGreaterThanOrEqual(report.acknowledged);
  });
});
