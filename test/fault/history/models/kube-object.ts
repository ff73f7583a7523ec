/**
 * One Kubernetes object (a ConfigMap's value) as the API serves it: create fails AlreadyExists
 * when it exists, get answers NotFound or the value and its resourceVersion, update carries a
 * resourceVersion precondition (Conflict when stale, NotFound when absent), delete answers
 * NotFound when absent. Every write gives the object a resourceVersion greater than any the key
 * had before (etcd's revision), through deletions too.
 *
 * Written values must be unique per write, so that a read names the write it saw. A write whose
 * outcome is unknown leaves the resourceVersion unknown until a read tells it; a precondition
 * against such a state cannot hold, since the client learnt its resourceVersion from an operation
 * linearized before that write.
 */
import { jsonStateFunctions, type Model } from '../model.ts';

export type KubeObjectInput =
  | { kind: 'create'; value: string }
  | { kind: 'get' }
  | { kind: 'update'; value: string; rv: string }
  | { kind: 'delete' };

/** The reasons of the Status answers the model knows (409 AlreadyExists/Conflict, 404 NotFound). */
export type KubeObjectError = 'NotFound' | 'AlreadyExists' | 'Conflict';

/** `rv` on create, update and get; `value` on get. */
export type KubeObjectOutput = { status: 'ok'; value?: string; rv?: string } | { status: KubeObjectError };

export interface KubeObjectState {
  exists: boolean;
  value: string | null;
  /** The object's resourceVersion; null when it exists but a write of unknown outcome set it. */
  rv: number | null;
  /** The highest resourceVersion this key is known to have reached. */
  floor: number;
}

const absent: KubeObjectState = { exists: false, value: null, rv: null, floor: 0 };

function describe(s: KubeObjectState): string {
  return s.exists ? `${JSON.stringify(s.value)} at resourceVersion ${s.rv ?? '(unknown)'}` : `absent (resourceVersions so far ≤ ${s.floor})`;
}

export function kubeObjectModel(): Model<KubeObjectState, KubeObjectInput, KubeObjectOutput> {
  return {
    name: 'kubernetes object',
    init: () => absent,
    step(state, input, output) {
      const refuse = (expected: string) => ({ ok: false as const, why: `${describe(state)}: expected ${expected}` });
      const same = { ok: true as const, next: state };
      const rvOf = (o: KubeObjectOutput): number => ('rv' in o && o.rv !== undefined ? Number(o.rv) : NaN);
      switch (input.kind) {
        case 'create': {
          if (output === 'unknown') return state.exists ? same : { ok: true, next: { exists: true, value: input.value, rv: null, floor: state.floor } };
          if (state.exists) return output.status === 'AlreadyExists' ? same : refuse('AlreadyExists');
          const rv = rvOf(output);
          if (output.status !== 'ok') return refuse('the create to succeed');
          if (!(rv > state.floor)) return refuse(`a resourceVersion above ${state.floor}, got ${rv}`);
          return { ok: true, next: { exists: true, value: input.value, rv, floor: rv } };
        }
        case 'get': {
          if (output === 'unknown') return same;
          if (!state.exists) return output.status === 'NotFound' ? same : refuse('NotFound');
          if (output.status !== 'ok' || !('value' in output)) return refuse(`${JSON.stringify(state.value)}`);
          const rv = rvOf(output);
          if (output.value !== state.value) return refuse(`${JSON.stringify(state.value)}, got ${JSON.stringify(output.value)}`);
          if (state.rv === null) return rv > state.floor ? { ok: true, next: { ...state, rv, floor: rv } } : refuse(`a resourceVersion above ${state.floor}, got ${rv}`);
          return rv === state.rv ? same : refuse(`resourceVersion ${state.rv}, got ${rv}`);
        }
        case 'update': {
          const wanted = Number(input.rv);
          // Against an unknown resourceVersion a precondition cannot hold: the client took it from an answer.
          const matches = state.exists && state.rv !== null && wanted === state.rv;
          if (output === 'unknown') return matches ? { ok: true, next: { exists: true, value: input.value, rv: null, floor: state.floor } } : same;
          if (!state.exists) return output.status === 'NotFound' ? same : refuse('NotFound');
          if (!matches) return output.status === 'Conflict' ? same : refuse(`Conflict (precondition resourceVersion ${input.rv})`);
          if (output.status !== 'ok') return refuse(`the update to succeed (precondition resourceVersion ${input.rv} holds)`);
          const rv = rvOf(output);
          if (!(rv > state.floor)) return refuse(`a resourceVersion above ${state.floor}, got ${rv}`);
          return { ok: true, next: { exists: true, value: input.value, rv, floor: rv } };
        }
        case 'delete': {
          const gone = { ok: true as const, next: { ...absent, floor: state.floor } };
          if (output === 'unknown') return state.exists ? gone : same;
          if (!state.exists) return output.status === 'NotFound' ? same : refuse('NotFound');
          return output.status === 'ok' ? gone : refuse('the delete to succeed');
        }
      }
    },
    readOnly: (input) => input.kind === 'get',
    ...jsonStateFunctions<KubeObjectState>(),
    describe,
  };
}
