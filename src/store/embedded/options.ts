/** Tuning knobs of the embedded store, with their defaults. */
import { systemClock, type Clock } from './clock.ts';

export interface EmbeddedOptions {
  /**
   * fdatasync each group commit before acknowledging (default true). `false` still survives a
   * killed process (the OS holds the written pages) but not an OS crash or power loss.
   */
  fsync?: boolean;
  /** Write a snapshot and start a fresh WAL segment after this many records (default 50,000). */
  snapshotEveryRecords?: number;
  /** ...or after this many WAL bytes, whichever comes first (default 64 MiB). */
  snapshotEveryBytes?: number;
  /**
   * Change events kept for `watch({fromRevision})` replay (default 10,000). Older events are
   * compacted automatically; a watch from before them gets CompactedError.
   */
  historyLimit?: number;
  /** How often idle watchers get `onProgress` (default 1000 ms; 0 disables). */
  progressIntervalMs?: number;
  /** Time source for lease expiry and progress ticks (default: real timers). */
  clock?: Clock;
}

export type ResolvedOptions = Required<EmbeddedOptions>;

export function resolveOptions(opts: EmbeddedOptions = {}): ResolvedOptions {
  return {
    fsync: opts.fsync ?? true,
    snapshotEveryRecords: opts.snapshotEveryRecords ?? 50_000,
    snapshotEveryBytes: opts.snapshotEveryBytes ?? 64 * 1024 * 1024,
    historyLimit: opts.historyLimit ?? 10_000,
    progressIntervalMs: opts.progressIntervalMs ?? 1000,
    clock: opts.clock ?? systemClock,
  };
}
