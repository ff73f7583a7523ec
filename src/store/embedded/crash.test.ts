import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCrashCycles } from './crash-harness.ts';

describe('embedded store survives kill -9 (fast)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write and never reuses a revision across 5 kills', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-crash-'));
    const report = await runCrashCycles({ dir, cycles: 5, concurrency: 16, killAfterAcks: [50, 600], snapshotEveryRecords: 300 });
    expect(report.acknowledged).toBeGreaterThanOrEqual(5 * 50);
    expect(report.finalRevision).toBeGreaterThanOrEqual(report.acknowledged);
  }, 60_000);
});
