import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { finishTimeOf, MAX_POD_FAILURE_BACKOFF_MS, podCreationAllowedAt } from './backoff.ts';

const T0 = Date.parse('2024-06-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function pod(phase: string, finishedAt: number): KubeObject {
  return {
    metadata: { name: `p-${finishedAt}`, creationTimestamp: iso(T0 - 60_000) },
    status: { phase, containerStatuses: [{ name: 'work', state: { terminated: { exitCode: phase === 'Failed' ? 1 : 0, finishedAt: iso(finishedAt) } } }] },
  };
}

describe('Job pod failure back-off', () => {
  it('doubles from 10 s per failure since the last success, from the last failure, capped at 6 min', () => {
    expect(podCreationAllowedAt([])).toBeUndefined();
    expect(podCreationAllowedAt([pod('Succeeded', T0)])).toBeUndefined();
    expect(podCreationAllowedAt([pod('Failed', T0)])).toBe(T0 + 10_000);
    expect(podCreationAllowedAt([pod('Failed', T0), pod('Failed', T0 + 15_000)])).toBe(T0 + 15_000 + 20_000);
    const many = Array.from({ length: 12 }, (_, i) => pod('Failed', T0 + i * 1000));
    expect(podCreationAllowedAt(many)).toBe(T0 + 11_000 + MAX_POD_FAILURE_BACKOFF_MS);
  });

  it('a success resets the count: only failures after it matter', () => {
    expect(podCreationAllowedAt([pod('Failed', T0), pod('Failed', T0 + 1000), pod('Succeeded', T0 + 2000)])).toBeUndefined();
    expect(podCreationAllowedAt([pod('Failed', T0), pod('Succeeded', T0 + 2000), pod('Failed', T0 + 3000)])).toBe(T0 + 3000 + 10_000);
  });

  it('a pod without container finish times finished at its latest condition change, else its creation', () => {
    expect(finishTimeOf({ metadata: { creationTimestamp: iso(T0) }, status: { phase: 'Failed' } })).toBe(T0);
    const withCondition: KubeObject = {
      metadata: { creationTimestamp: iso(T0) },
      status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: iso(T0 + 5000) }] },
    };
    expect(finishTimeOf(withCondition)).toBe(T0 + 5000);
  });
});
