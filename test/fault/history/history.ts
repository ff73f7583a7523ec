/**
 * The operation history of a client workload, in the style of Jepsen and Porcupine: every
 * operation a client invoked, with when it was called and when it returned on one monotonic
 * clock, and what it returned — or `'unknown'` when the client cannot tell whether it happened
 * (a timeout, a connection cut after the request was sent, a 5xx). An unknown operation may have
 * taken effect at any moment after its call, or never; the checker gives it a return time of +∞.
 */
import { performance } from 'node:perf_hooks';

/** What a client could not learn: the operation may or may not have taken effect. */
export const UNKNOWN = 'unknown';
export type Unknown = typeof UNKNOWN;

/** One operation as a client saw it. Inputs and outputs are objects (never the bare string 'unknown'). */
export interface Op<I = unknown, O = unknown> {
  /** Unique within its history, increasing in call order. */
  id: number;
  /** The client (Jepsen's process) that invoked it; one client has at most one operation open. */
  process: number;
  /** The object it acts on: the checker partitions the history by key and checks each alone. */
  key: string;
  /** What was asked, with its `kind` (get, create, update, …). */
  input: I;
  /** Milliseconds on the recorder's monotonic clock. */
  call: number;
  /** Milliseconds on the same clock; `Infinity` while open and when the outcome is unknown. */
  ret: number;
  /** What came back; `'unknown'` when the client cannot tell whether it took effect. */
  output: O | Unknown;
  /** Why the outcome is unknown (the error the client saw), for the report. */
  error?: string;
}

/** A recorded history: operations in call order. */
export type History<I = unknown, O = unknown> = Op<I, O>[];

/**
 * How an invoked operation ended: an answer, an unknown outcome, or certainly not sent (no
 * server took it): such an operation had no effect and leaves the history.
 */
export type Outcome<O> = { output: O } | { unknown: string } | { notSent: string };

/**
 * Records operations on one monotonic clock (`performance.now`, which neither jumps nor goes
 * back with the wall clock). Concurrent clients in one process share one recorder.
 */
export class HistoryRecorder<I = unknown, O = unknown> {
  readonly ops: History<I, O> = [];
  /** Operations that no server took (left out of `ops`), for the run's figures. */
  notSent = 0;
  private nextId = 0;
  private readonly origin = performance.now();

  /** Milliseconds since the recorder was made. */
  now(): number {
    return performance.now() - this.origin;
  }

  /** Records an operation as called now; returns it so that `complete` can close it. */
  begin(process: number, key: string, input: I): Op<I, O> {
    const op: Op<I, O> = { id: this.nextId++, process, key, input, call: this.now(), ret: Infinity, output: UNKNOWN };
    this.ops.push(op);
    return op;
  }

  /** Closes an operation: with its output and the time now, as unknown (return time stays +∞), or drops it. */
  complete(op: Op<I, O>, outcome: Outcome<O>): void {
    if ('output' in outcome) {
      op.ret = this.now();
      op.output = outcome.output;
    } else if ('unknown' in outcome) {
      op.error = outcome.unknown;
    } else {
      this.ops.splice(this.ops.indexOf(op), 1);
      this.notSent += 1;
    }
  }

  /** Calls `run` as operation `input` of `process` on `key` and records what it returned. */
  async invoke(process: number, key: string, input: I, run: () => Promise<Outcome<O>>): Promise<Op<I, O>> {
    const op = this.begin(process, key, input);
    let outcome: Outcome<O>;
    try {
      outcome = await run();
    } catch (err) {
      outcome = { unknown: (err as Error).message };
    }
    this.complete(op, outcome);
    return op;
  }
}

/** The history's operations grouped by key, each group in call order. */
export function byKey<I, O>(history: readonly Op<I, O>[]): Map<string, Op<I, O>[]> {
  const groups = new Map<string, Op<I, O>[]>();
  for (const op of history) {
    const group = groups.get(op.key);
    if (group) group.push(op);
    else groups.set(op.key, [op]);
  }
  return groups;
}

/** One operation as a line: `#12 p3 [104.2, 131.9] get → {...}` (times in ms). */
export function formatOp(op: Op): string {
  const end = op.ret === Infinity ? '∞' : op.ret.toFixed(1);
  const output = op.output === UNKNOWN ? `unknown${op.error ? ` (${op.error})` : ''}` : JSON.stringify(op.output);
  return `#${op.id} p${op.process} [${op.call.toFixed(1)}, ${end}] ${JSON.stringify(op.input)} → ${output}`;
}
