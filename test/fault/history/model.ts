/**
 * A sequential specification for the linearizability checker (Porcupine's `Model`): what one
 * object does when operations reach it one at a time. Pure functions only: the checker calls
 * `step` many times on the same state while it searches.
 */
import type { Unknown } from './history.ts';

/** The result of applying one operation to a state. */
export type Step<S> = { ok: true; next: S } | { ok: false; why: string };

export interface Model<S, I, O> {
  /** The model's name in reports. */
  name: string;
  /** The state before any operation (an object that does not exist yet, a register's initial value). */
  init(): S;
  /**
   * Whether `input` may return `output` in `state`, and the state after it. `output` is
   * `'unknown'` for an operation whose outcome the client never learnt: it must be accepted
   * (the checker may place it anywhere after its call; placed last it is as if it never ran).
   * `why` says, when it is refused, what the state would have answered instead.
   */
  step(state: S, input: I, output: O | Unknown): Step<S>;
  /** Whether `input` changes nothing (a read): the checker drops such operations when their outcome is unknown. */
  readOnly?(input: I): boolean;
  /** Equal states (the checker's cache compares states with it). */
  equal(a: S, b: S): boolean;
  /** A string that is equal exactly when the states are equal (the cache's key). */
  hash(state: S): string;
  /** A state in a report. */
  describe(state: S): string;
}

/** `equal`, `hash` and `describe` for a model whose states are plain JSON built in one key order. */
export function jsonStateFunctions<S>(): Pick<Model<S, never, never>, 'equal' | 'hash' | 'describe'> {
  return {
    equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    hash: (s) => JSON.stringify(s),
    describe: (s) => JSON.stringify(s),
  };
}
