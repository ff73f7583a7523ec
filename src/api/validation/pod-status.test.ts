import { describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../kinds.ts';
import type { KubeObject } from '../object.ts';
import { validateUpdate } from './update.ts';
import { validatePodPhaseTransition } from './pod-status.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const pod = (phase?: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  status: phase === undefined ? { ...extra } : { phase, ...extra },
});

describe('pod status: a terminal phase never changes', () => {
  it.each([
    ['Pending', 'Running', []],
    ['Running', 'Failed', []],
    ['Running', 'Succeeded', []],
    [undefined, 'Running', []],
    ['Failed', 'Failed', []],
    ['Succeeded', 'Succeeded', []],
    ['Failed', 'Running', ['status.phase: Forbidden: may not be transitioned from terminal phase Failed to Running']],
    ['Failed', 'Succeeded', ['status.phase: Forbidden: may not be transitioned from terminal phase Failed to Succeeded']],
    ['Succeeded', 'Pending', ['status.phase: Forbidden: may not be transitioned from terminal phase Succeeded to Pending']],
    ['Failed', undefined, ['status.phase: Forbidden: may not be transitioned from terminal phase Failed to ""']],
  ] as const)('%s → %s', (from, to, errors) => {
    expect(validatePodPhaseTransition(pod(from), pod(to)).map((e) => `${e.field}: ${e.message}`)).toEqual(errors);
    // The same rule is the Pod update rule (what pods/status writes go through).
    expect(validateUpdate(PODS, pod(from), pod(to)).map((e) => e.field)).toEqual(errors.map(() => 'status.phase'));
  });

  it('other status fields of a finished pod may still change', () => {
    expect(validatePodPhaseTransition(pod('Failed'), pod('Failed', { reason: 'NodeLost', message: 'gone' }))).toEqual([]);
  });
});
