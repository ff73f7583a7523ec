/**
 * A read/write register (Porcupine's and Knossos' first model): reads return the last value
 * written, or the initial value.
 */
import { jsonStateFunctions, type Model } from '../model.ts';

export type RegisterInput<V> = { kind: 'read' } | { kind: 'write'; value: V };
export type RegisterOutput<V> = { value: V } | { ok: true };

/** A register whose initial value is `initial` (null: nothing written yet). */
export function registerModel<V>(initial: V | null = null): Model<V | null, RegisterInput<V>, RegisterOutput<V>> {
  return {
    name: 'register',
    init: () => initial,
    step(state, input, output) {
      if (input.kind === 'write') return { ok: true, next: input.value };
      if (output === 'unknown') return { ok: true, next: state };
      if (!('value' in output)) return { ok: false, why: `a read answered ${JSON.stringify(output)}` };
      return JSON.stringify(output.value) === JSON.stringify(state) ? { ok: true, next: state } : { ok: false, why: `the register holds ${JSON.stringify(state)}` };
    },
    readOnly: (input) => input.kind === 'read',
    ...jsonStateFunctions<V | null>(),
  };
}
