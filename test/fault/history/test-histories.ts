/**
 * Builders of small histories for the checker's tests: operations given as
 * (process, [call, return], input, output) with `null` for a return that never came.
 */
import { UNKNOWN, type Op } from './history.ts';

/** One operation; `ret` null and output 'unknown' for an operation whose outcome is unknown. */
export interface OpSpec<I, O> {
  p: number;
  at: [number, number | null];
  in: I;
  out: O | typeof UNKNOWN;
  key?: string;
}

/** A history on key `key` (unless an operation names its own), ids in the order given. */
export function history<I, O>(specs: OpSpec<I, O>[], key = 'x'): Op<I, O>[] {
  return specs.map((s, id) => ({
    id,
    process: s.p,
    key: s.key ?? key,
    input: s.in,
    call: s.at[0],
    ret: s.at[1] ?? Infinity,
    output: s.at[1] === null ? UNKNOWN : s.out,
  }));
}
