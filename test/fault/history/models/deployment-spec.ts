/**
 * What clients write of a Deployment's spec: `spec.replicas` through the scale subresource (as
 * `kubectl scale` does: a merge patch to /scale) and the pod template through rollouts (a patch
 * changing an env value). Both writes are blind (no precondition); the answers carry the object
 * after the write, so a rollout's answer also tells the replicas at that moment. Controllers
 * write status only, so the spec is the clients' alone.
 */
import { jsonStateFunctions, type Model } from '../model.ts';

export type DeploymentSpecInput =
  | { kind: 'create'; replicas: number; rollout: string }
  | { kind: 'scale'; replicas: number }
  | { kind: 'get-scale' }
  | { kind: 'rollout'; rollout: string }
  | { kind: 'get' };

/**
 * `replicas` on every success but create; `rollout` (the template's marker) on rollout and get.
 * A blind write answered Conflict (the server's own retries on conflict ran out) did not happen.
 */
export type DeploymentSpecOutput = { status: 'ok'; replicas?: number; rollout?: string } | { status: 'NotFound' | 'AlreadyExists' | 'Conflict' };

export interface DeploymentSpecState {
  exists: boolean;
  replicas: number;
  rollout: string;
}

function describe(s: DeploymentSpecState): string {
  return s.exists ? `replicas ${s.replicas}, rollout ${JSON.stringify(s.rollout)}` : 'absent';
}

export function deploymentSpecModel(): Model<DeploymentSpecState, DeploymentSpecInput, DeploymentSpecOutput> {
  return {
    name: 'deployment spec',
    init: () => ({ exists: false, replicas: 0, rollout: '' }),
    step(state, input, output) {
      const refuse = (expected: string) => ({ ok: false as const, why: `${describe(state)}: expected ${expected}` });
      const same = { ok: true as const, next: state };
      if (input.kind === 'create') {
        const created = { ok: true as const, next: { exists: true, replicas: input.replicas, rollout: input.rollout } };
        if (output === 'unknown') return state.exists ? same : created;
        if (state.exists) return output.status === 'AlreadyExists' ? same : refuse('AlreadyExists');
        return output.status === 'ok' ? created : refuse('the create to succeed');
      }
      if (output === 'unknown') {
        if (!state.exists) return same;
        if (input.kind === 'scale') return { ok: true, next: { ...state, replicas: input.replicas } };
        if (input.kind === 'rollout') return { ok: true, next: { ...state, rollout: input.rollout } };
        return same;
      }
      if (!state.exists) return output.status === 'NotFound' ? same : refuse('NotFound');
      if (output.status === 'Conflict' && (input.kind === 'scale' || input.kind === 'rollout')) return same;
      if (output.status !== 'ok') return refuse(`an answer, got ${output.status}`);
      const next = input.kind === 'scale' ? { ...state, replicas: input.replicas } : input.kind === 'rollout' ? { ...state, rollout: input.rollout } : state;
      if (output.replicas !== next.replicas) return refuse(`replicas ${next.replicas}, got ${output.replicas}`);
      if (input.kind !== 'get-scale' && input.kind !== 'scale' && output.rollout !== next.rollout) return refuse(`rollout ${JSON.stringify(next.rollout)}, got ${JSON.stringify(output.rollout)}`);
      return { ok: true, next };
    },
    readOnly: (input) => input.kind === 'get' || input.kind === 'get-scale',
    ...jsonStateFunctions<DeploymentSpecState>(),
    describe,
  };
}
