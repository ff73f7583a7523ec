/**
 * Linearizability checker: Wing & Gong's search with Lowe's cache, as Porcupine implements it
 * (anishathalye/porcupine, checker.go), for one history per key (P-compositionality: a history
 * is linearizable iff each object's sub-history is, so each key is checked alone).
 *
 * The history becomes a doubly linked list of call and return entries in time order. The search
 * walks it: at a call, it tries to linearize that operation next (the model's step must accept
 * its output); if so, the operation's two entries are lifted out of the list and the walk starts
 * again from the head. Reaching a return means the operation it closes should have been
 * linearized already: the search backtracks (pops the last linearized operation, puts its entries
 * back, tries the call after it). The cache holds every (set of linearized operations, model
 * state) reached: reaching one again cannot lead anywhere new. Unknown operations return at +∞,
 * so they may be linearized anywhere after their call — last, which is as if they never ran.
 *
 * The search is exponential on pathological histories: a budget of steps and a deadline bound it,
 * and a key that runs out is reported 'unknown' rather than hanging.
 */
import { performance } from 'node:perf_hooks';
import { byKey, UNKNOWN, type Op } from './history.ts';
import type { Model } from './model.ts';

export type Verdict = 'ok' | 'illegal' | 'unknown';

/** Limits on the search. */
export interface CheckBudget {
  /** Search steps per key (each tries or undoes one operation). Default 5,000,000. */
  maxStepsPerKey?: number;
  /** Wall-clock milliseconds for the whole check. Default none. */
  timeoutMs?: number;
}

/** Why a key's history is not linearizable: the furthest the search got, and what stopped it. */
export interface Explanation<S, I, O> {
  /** The longest linearizable prefix found, in linearization order. */
  prefix: Op<I, O>[];
  /** The model state after that prefix, and as the model describes it. */
  state: S;
  stateText: string;
  /**
   * The operations that could have come next (called before the earliest pending return) and
   * why the model refused each in that state; the one whose return closes the window is `blocking`.
   */
  candidates: { op: Op<I, O>; why: string }[];
  /** The pending operation that returned first: it had to be linearized before its return. */
  blocking: Op<I, O>;
}

export interface KeyResult<S = unknown, I = unknown, O = unknown> {
  key: string;
  model: string;
  verdict: Verdict;
  ops: number;
  /** Search steps spent on this key. */
  steps: number;
  /** When 'illegal'. */
  explanation?: Explanation<S, I, O>;
  /** When 'unknown': which budget ran out. */
  exhausted?: 'steps' | 'timeout';
}

export interface CheckResult<I = unknown, O = unknown> {
  verdict: Verdict;
  keys: KeyResult<unknown, I, O>[];
}

/** A model with its state type forgotten, so that one history can mix models by key. */
export type AnyModel<I, O> = Model<unknown, I, O>;

/** Forgets a model's state type (states only flow from the model back into it). */
export function anyModel<S, I, O>(model: Model<S, I, O>): AnyModel<I, O> {
  return model as unknown as AnyModel<I, O>;
}

/**
 * Checks a whole history, key by key, each against the model `modelFor(key)` gives.
 * 'illegal' if any key is, else 'unknown' if any key ran out of budget, else 'ok'.
 */
export function checkHistory<I, O>(history: readonly Op<I, O>[], modelFor: (key: string) => AnyModel<I, O>, budget: CheckBudget = {}): CheckResult<I, O> {
  const deadline = budget.timeoutMs === undefined ? Infinity : performance.now() + budget.timeoutMs;
  const keys: KeyResult<unknown, I, O>[] = [];
  for (const [key, ops] of byKey(history)) {
    keys.push(checkOne(key, ops, modelFor(key), budget.maxStepsPerKey ?? 5_000_000, deadline));
  }
  const verdict: Verdict = keys.some((k) => k.verdict === 'illegal') ? 'illegal' : keys.some((k) => k.verdict === 'unknown') ? 'unknown' : 'ok';
  return { verdict, keys };
}

/** Checks the operations of one key (all of them, whatever their `key` field says). */
export function checkKey<S, I, O>(key: string, ops: readonly Op<I, O>[], model: Model<S, I, O>, budget: CheckBudget = {}): KeyResult<S, I, O> {
  const deadline = budget.timeoutMs === undefined ? Infinity : performance.now() + budget.timeoutMs;
  return checkOne(key, ops, model, budget.maxStepsPerKey ?? 5_000_000, deadline);
}

/** One entry of the search's list: the call or the return of operation `index`. */
interface Entry {
  index: number;
  isCall: boolean;
  time: number;
  /** A call's return entry. */
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** The entries in time order behind a sentinel head; at equal times calls come first (overlap is allowed). */
function makeEntries(ops: readonly Op<unknown, unknown>[]): Entry {
  const entries: Entry[] = [];
  ops.forEach((op, index) => {
    const ret: Entry = { index, isCall: false, time: op.ret, match: undefined, prev: undefined, next: undefined };
    entries.push({ index, isCall: true, time: op.call, match: ret, prev: undefined, next: undefined }, ret);
  });
  entries.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.index - b.index : a.isCall ? -1 : 1));
  const head: Entry = { index: -1, isCall: false, time: -Infinity, match: undefined, prev: undefined, next: undefined };
  let last = head;
  for (const e of entries) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

/** Takes a call and its return out of the list. */
function lift(call: Entry): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

/** Puts a lifted call and its return back where they were (the reverse of `lift`). */
function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

/**
 * Which operations are linearized: a bitset, with a Zobrist hash (a random 52-bit number per
 * operation, XORed in and out) kept up to date so that a cache look-up costs O(1) and only a hit
 * compares whole sets.
 */
class OpSet {
  readonly words: Uint32Array;
  private readonly low: Uint32Array;
  private readonly high: Uint32Array;
  private hashLow = 0;
  private hashHigh = 0;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
    this.low = new Uint32Array(size);
    this.high = new Uint32Array(size);
    // xorshift32 from a fixed seed: the same history hashes the same way on every run.
    let x = 0x9e3779b9;
    const next = (): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    for (let i = 0; i < size; i++) {
      this.low[i] = next();
      this.high[i] = next() & 0xfffff;
    }
  }

  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.hashLow = (this.hashLow ^ this.low[i]!) >>> 0;
    this.hashHigh ^= this.high[i]!;
  }

  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
    this.hashLow = (this.hashLow ^ this.low[i]!) >>> 0;
    this.hashHigh ^= this.high[i]!;
  }

  /** The hash of this set with `i` added (which it does not hold), without changing it. */
  hashWith(i: number): number {
    return (this.hashHigh ^ this.high[i]!) * 0x100000000 + ((this.hashLow ^ this.low[i]!) >>> 0);
  }

  /** Whether `words` is this set with `i` added. */
  equalsWith(words: Uint32Array, i: number): boolean {
    const w = i >>> 5;
    for (let k = 0; k < words.length; k++) if (words[k] !== (k === w ? (this.words[k]! | (1 << (i & 31))) >>> 0 : this.words[k])) return false;
    return true;
  }
}

function checkOne<S, I, O>(key: string, ops: readonly Op<I, O>[], model: Model<S, I, O>, maxSteps: number, deadline: number): KeyResult<S, I, O> {
  // A read whose answer never came constrains nothing, and left in it would multiply the search
  // (it fits anywhere after its call): dropped, as Porcupine's users do. Other unknowns stay.
  ops = ops.filter((op) => !(op.output === UNKNOWN && model.readOnly?.(op.input)));
  const head = makeEntries(ops);
  const linearized = new OpSet(ops.length);
  const cache = new Map<string, { words: Uint32Array; state: S }[]>();
  const calls: { entry: Entry; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let longest: { prefix: number[]; state: S } = { prefix: [], state };
  let steps = 0;
  const result = (verdict: Verdict, extra: Partial<KeyResult<S, I, O>> = {}): KeyResult<S, I, O> => ({ key, model: model.name, verdict, ops: ops.length, steps, ...extra });

  while (head.next !== undefined) {
    steps += 1;
    if (steps > maxSteps) return result('unknown', { exhausted: 'steps' });
    if ((steps & 1023) === 0 && performance.now() > deadline) return result('unknown', { exhausted: 'timeout' });
    const current = entry!;
    if (current.isCall) {
      const op = ops[current.index]!;
      const step = model.step(state, op.input, op.output);
      if (step.ok) {
        const cacheKey = `${linearized.hashWith(current.index)}|${model.hash(step.next)}`;
        const seen = cache.get(cacheKey);
        if (!seen?.some((c) => linearized.equalsWith(c.words, current.index) && model.equal(c.state, step.next))) {
          linearized.set(current.index);
          const reached = { words: linearized.words.slice(), state: step.next };
          if (seen) seen.push(reached);
          else cache.set(cacheKey, [reached]);
          calls.push({ entry: current, state });
          state = step.next;
          lift(current);
          if (calls.length > longest.prefix.length) longest = { prefix: calls.map((c) => c.entry.index), state };
          entry = head.next;
          continue;
        }
      }
      entry = current.next;
    } else {
      // The operation this return closes is not linearized, and cannot be any later: undo the last choice.
      const top = calls.pop();
      if (!top) return result('illegal', { explanation: explain(ops, model, longest) });
      state = top.state;
      linearized.clear(top.entry.index);
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return result('ok');
}

/** What could come after the longest prefix, and why the model refused each. */
function explain<S, I, O>(ops: readonly Op<I, O>[], model: Model<S, I, O>, longest: { prefix: number[]; state: S }): Explanation<S, I, O> {
  const done = new Set(longest.prefix);
  const pending = ops.filter((_, i) => !done.has(i));
  const blocking = pending.reduce((a, b) => (b.ret < a.ret ? b : a));
  const candidates = pending
    .filter((op) => op.call <= blocking.ret)
    .map((op) => {
      const step = model.step(longest.state, op.input, op.output);
      return { op, why: step.ok ? `possible here (state after it: ${model.describe(step.next)}), but nothing linearizable follows` : step.why };
    });
  return { prefix: longest.prefix.map((i) => ops[i]!), state: longest.state, stateText: model.describe(longest.state), candidates, blocking };
}
