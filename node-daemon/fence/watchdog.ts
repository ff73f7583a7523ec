/**
 * The fence watchdog's loop: the daemon's self-fence (self-fence.ts) carried out by a process that
 * outlives it. It reads the deadline the daemon writes at every renewal (files.ts) and, once the
 * deadline has passed without a newer one, stops every pod of the node — whether the daemon is
 * dead (kill -9), frozen (SIGSTOP) or merely cut off from the masters (then the daemon fences
 * too; both stopping the same pods is harmless).
 *
 * ```
 * unarmed ──deadline written──▶ armed ──deadline + lag passed──▶ fence (once per deadline) ─▶ fenced
 *                                 ▲ └── newer deadline: re-armed                                │
 *                                 └────────────── newer deadline ───────────────────────────────┘
 * fenced or unarmed, and the writing daemon gone ─▶ exit (nothing left to guard; a new daemon starts a new watchdog)
 * retired (the daemon stopped and left no pod) ─▶ exit
 * a fence failed, the daemon gone and its record removed with the data dir ─▶ exit (nothing left to guard
 *   or to report to: a test removed a node whose container engine it had already stopped)
 * ```
 *
 * `nextStep` is the whole decision, pure; `runFenceWatchdog` only sleeps, reads and acts.
 */
import type { FenceRecord } from './files.ts';

/**
 * The watchdog acts this long after the deadline: a daemon that is alive fences first (its pods
 * then fail with NodeLost, as a self-fence reports them, rather than as containers killed from
 * outside). Taken out of the timing rule's margin (src/actors/node/fencing.ts): 1 s of margin
 * leaves 0.75 s for timers firing late.
 */
export const FENCE_WATCHDOG_LAG_MS = 250;

/** How often the deadline file is read while nothing is due (a renewal or a retirement is seen this late at most). */
export const FENCE_WATCHDOG_POLL_MS = 200;

export type WatchdogStep =
  | { kind: 'wait'; ms: number }
  | { kind: 'fence'; deadlineNs: string; fenceAfterMs: number }
  | { kind: 'exit'; why: string };

export interface WatchdogView {
  record: FenceRecord | undefined;
  nowNs: bigint;
  /** The deadline this watchdog has already fenced for. */
  fencedFor: string | undefined;
  /** Whether the record's writer (the daemon) still exists (frozen counts as existing). */
  writerAlive: boolean;
  /** The record was read before and is no longer there: the data dir was removed under us. */
  recordGone?: boolean;
  /** Why the last attempt to fence for `record`'s deadline failed, if it did. */
  fenceFailed?: string;
}

export function nextStep(view: WatchdogView, lagMs = FENCE_WATCHDOG_LAG_MS, pollMs = FENCE_WATCHDOG_POLL_MS): WatchdogStep {
  const { record, nowNs, fencedFor, writerAlive } = view;
  // Not written yet: the daemon that started us writes it first, so this is a moment's race.
  if (record === undefined) return { kind: 'wait', ms: pollMs };
  if ('retired' in record) return { kind: 'exit', why: `the daemon (pid ${record.writer.pid}) stopped and left no pod running` };
  if (record.deadlineNs === null) {
    return writerAlive ? { kind: 'wait', ms: pollMs } : { kind: 'exit', why: `the daemon (pid ${record.writer.pid}) is gone and was never renewed` };
  }
  const dueNs = BigInt(record.deadlineNs) + BigInt(lagMs) * 1_000_000n;
  if (nowNs < dueNs) return { kind: 'wait', ms: Math.min(pollMs, Math.ceil(Number(dueNs - nowNs) / 1e6)) };
  if (fencedFor !== record.deadlineNs) {
    // Retrying forever would guard nothing: no daemon, no data dir, and the pods cannot be reached (their engine is gone with them).
    if (view.fenceFailed !== undefined && view.recordGone && !writerAlive) {
      return { kind: 'exit', why: `the daemon (pid ${record.writer.pid}) and its data dir are gone and its pods cannot be stopped (${view.fenceFailed})` };
    }
    return { kind: 'fence', deadlineNs: record.deadlineNs, fenceAfterMs: record.fenceAfterMs };
  }
  return writerAlive ? { kind: 'wait', ms: pollMs } : { kind: 'exit', why: `the daemon (pid ${record.writer.pid}) is gone and its pods are stopped` };
}

export interface FenceWatchdogDeps {
  read(): FenceRecord | undefined;
  nowNs(): bigint;
  writerAlive(record: FenceRecord): boolean;
  /** Stop every pod of the node (grace 0); resolves to how many containers were running. */
  stopAll(): Promise<number>;
  log(line: string): void;
  sleep(ms: number): Promise<void>;
  /** Set when the watchdog must end (SIGTERM). */
  stopped(): boolean;
}

/** Runs until told to exit by the record, or `stopped()`; resolves with why it ended. */
export async function runFenceWatchdog(deps: FenceWatchdogDeps): Promise<string> {
  let fencedFor: string | undefined;
  let fenceFailed: { deadlineNs: string; why: string } | undefined;
  let last: FenceRecord | undefined;
  while (!deps.stopped()) {
    // A record that vanished (the data dir removed under us) keeps its last word: fence when due, then leave with the daemon.
    const read = deps.read();
    const record = read ?? last;
    last = record;
    const step = nextStep({
      record,
      nowNs: deps.nowNs(),
      fencedFor,
      writerAlive: record === undefined || deps.writerAlive(record),
      recordGone: read === undefined && record !== undefined,
      ...(fenceFailed && record && 'deadlineNs' in record && record.deadlineNs === fenceFailed.deadlineNs ? { fenceFailed: fenceFailed.why } : {}),
    });
    if (step.kind === 'exit') return step.why;
    if (step.kind === 'wait') {
      await deps.sleep(step.ms);
      continue;
    }
    const lateMs = Number(deps.nowNs() - BigInt(step.deadlineNs)) / 1e6;
    const writer = record === undefined ? '?' : record.writer.pid;
    deps.log(`fence: no renewal from the daemon (pid ${writer}) for ${step.fenceAfterMs / 1000}s (deadline passed ${lateMs.toFixed(0)} ms ago): stopping every pod of the node`);
    const t0 = deps.nowNs();
    try {
      const running = await deps.stopAll();
      deps.log(`fence: ${running} running container(s) stopped in ${(Number(deps.nowNs() - t0) / 1e6).toFixed(0)} ms`);
      fencedFor = step.deadlineNs;
    } catch (err) {
      // The next pass tries again (the deadline is still past and not fenced for), unless nothing is left to guard.
      const why = err instanceof Error ? err.message : String(err);
      fenceFailed = { deadlineNs: step.deadlineNs, why };
      deps.log(`fence: stopping the pods failed: ${why}`);
      await deps.sleep(FENCE_WATCHDOG_POLL_MS);
    }
  }
  return 'stopped by a signal';
}
