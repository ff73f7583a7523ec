/** The replica calculation table: tolerance, missing and unready pods, min/max, rate, stabilization. */
import { describe, expect, it } from 'vitest';
import type { HpaSpec, ResourceTarget } from './hpa-spec.ts';
import { evaluate } from './evaluate.ts';
import { normalizeReplicas, type NormalizeInput } from './normalize.ts';
import { metricReplicas, MetricUnavailableError, MissingRequestError, type PodResourceSample } from './replica-calculator.ts';

const CPU50: ResourceTarget = { resource: 'cpu', type: 'Utilization', averageUtilization: 50 };
/** Ready pods requesting 1 core each, using `usage` cores. */
const ready = (...usage: (number | undefined)[]): PodResourceSample[] => usage.map((u, i) => ({ name: `p${i}`, pending: false, ready: true, request: 1, usage: u }));

describe('metricReplicas', () => {
  it.each<[string, number, PodResourceSample[], number, number | undefined]>([
    ['on target', 2, ready(0.5, 0.5), 2, 50],
    ['within the 10% tolerance above', 2, ready(0.54, 0.54), 2, 54],
    ['within the 10% tolerance below', 4, ready(0.46, 0.46, 0.46, 0.46), 4, 46],
    ['just above tolerance scales up', 2, ready(0.6, 0.6), 3, 60],
    ['double the target doubles', 3, ready(1, 1, 1), 6, 100],
    ['far below scales down', 4, ready(0.1, 0.1, 0.1, 0.1), 1, 10],
    // Missing metrics: on a scale-down, assumed at 100% of request -> 0.1+0.1+1+1 over 4 = 55% -> within tolerance, no change.
    ['missing pods block a scale-down', 4, ready(0.1, 0.1, undefined, undefined), 4, 10],
    // On a scale-up, missing assumed at 0: (1.5+1.5+0)/3 = 100% -> 6 replicas.
    ['missing pods at 0 on a scale-up', 3, ready(1.5, 1.5, undefined), 6, 150],
  ])('%s', (_name, current, pods, replicas, utilization) => {
    const p = metricReplicas(current, CPU50, pods);
    expect(p.replicas).toBe(replicas);
    expect(p.averageUtilization).toBe(utilization);
  });

  it('unready pods count as 0 on a scale-up (cpu) and are ignored otherwise', () => {
    const pods: PodResourceSample[] = [...ready(1, 1), { name: 'u', pending: false, ready: false, request: 1, usage: 0.9 }];
    // Ready pods at 200% of target; with the unready pod at 0: 2 cores of 3 requested = 67%, ratio 1.33 -> ceil(1.33 × 3) = 4.
    expect(metricReplicas(3, CPU50, pods).replicas).toBe(4);
    // Ready pods at 55% (ratio 1.1, a scale-up); the Pending pod at 0 gives 1.1 of 3 = 36.7% (ratio 0.73): the direction flips -> no change.
    expect(metricReplicas(3, CPU50, [...ready(0.55, 0.55), { name: 'x', pending: true, ready: false, request: 1 }]).replicas).toBe(3);
  });

  it('AverageValue of memory', () => {
    const mem: ResourceTarget = { resource: 'memory', type: 'AverageValue', averageValue: 100 };
    const pods = ready(300, 300).map((p) => ({ ...p, request: undefined }));
    const p = metricReplicas(2, mem, pods);
    expect(p).toEqual({ replicas: 6, averageValue: 300 });
    // Memory ignores readiness (only Pending is unready).
    expect(metricReplicas(2, mem, pods.map((x) => ({ ...x, ready: false }))).replicas).toBe(6);
  });

  it('fails without requests, pods or samples', () => {
    expect(() => metricReplicas(2, CPU50, ready(1).map((p) => ({ ...p, request: undefined })))).toThrow(MissingRequestError);
    expect(() => metricReplicas(2, CPU50, [])).toThrow(MetricUnavailableError);
    expect(() => metricReplicas(2, CPU50, ready(undefined, undefined))).toThrow(MetricUnavailableError);
  });
});

const norm = (over: Partial<NormalizeInput>): ReturnType<typeof normalizeReplicas> =>
  normalizeReplicas({ currentReplicas: 3, proposed: 3, minReplicas: 1, maxReplicas: 10, scaleUpStabilizationSeconds: 0, scaleDownStabilizationSeconds: 300, recommendations: [], now: 1_000_000, ...over });

describe('normalizeReplicas', () => {
  it.each<[string, Partial<NormalizeInput>, number, string]>([
    ['within range', { proposed: 5 }, 5, 'DesiredWithinRange'],
    ['clamped to max', { proposed: 20, currentReplicas: 8 }, 10, 'TooManyReplicas'],
    ['clamped to min', { proposed: 0, minReplicas: 2, scaleDownStabilizationSeconds: 0 }, 2, 'TooFewReplicas'],
    ['scale-up rate: max(2×, +4)', { proposed: 9, currentReplicas: 2 }, 6, 'ScaleUpLimit'],
    ['scale-up rate lets 2× through', { proposed: 9, currentReplicas: 5, maxReplicas: 20 }, 9, 'DesiredWithinRange'],
  ])('%s', (_n, over, desired, limitedReason) => {
    const r = norm(over);
    expect(r.desiredReplicas).toBe(desired);
    expect(r.scalingLimited.reason).toBe(limitedReason);
  });

  it('scale-down follows the highest recommendation of the window, then lets go after it', () => {
    const t0 = 1_000_000;
    const recs = [
      { at: t0 - 290_000, replicas: 6 },
      { at: t0 - 100_000, replicas: 4 },
    ];
    const held = norm({ currentReplicas: 6, proposed: 2, recommendations: recs, now: t0 });
    expect(held.desiredReplicas).toBe(6);
    expect(held.ableToScale.reason).toBe('ScaleDownStabilized');
    // 20 s later the 6 has left the 300 s window: the highest is now 4.
    const later = norm({ currentReplicas: 6, proposed: 2, recommendations: held.recommendations, now: t0 + 20_000 });
    expect(later.desiredReplicas).toBe(4);
    expect(later.recommendations.map((r) => r.replicas)).toEqual([4, 2, 2]);
    // Scaling up is not held back by the default 0 s up-window.
    expect(norm({ currentReplicas: 3, proposed: 5, recommendations: recs, now: t0 }).desiredReplicas).toBe(5);
  });
});

const SPEC: HpaSpec = { target: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web' }, minReplicas: 1, maxReplicas: 10, metrics: [CPU50], unsupported: [], scaleUpStabilizationSeconds: 0, scaleDownStabilizationSeconds: 300 };

describe('evaluate', () => {
  it('names the reason as Kubernetes does', () => {
    const up = evaluate({ spec: SPEC, currentReplicas: 2, samples: () => ready(1, 1), recommendations: [], now: 0 });
    expect(up.desiredReplicas).toBe(4);
    expect(up.rescaleReason).toBe('cpu resource utilization (percentage of request) above target');
    expect(up.conditions.ScalingActive?.reason).toBe('ValidMetricFound');
    const down = evaluate({ spec: { ...SPEC, scaleDownStabilizationSeconds: 0 }, currentReplicas: 4, samples: () => ready(0.1, 0.1, 0.1, 0.1), recommendations: [], now: 0 });
    expect(down.rescaleReason).toBe('All metrics below target');
  });

  it('outside min/max: straight to the bound; zero replicas: scaling disabled; no metrics: failure', () => {
    expect(evaluate({ spec: SPEC, currentReplicas: 12, samples: () => [], recommendations: [], now: 0 })).toMatchObject({ desiredReplicas: 10, rescaleReason: 'Current number of replicas above Spec.MaxReplicas' });
    expect(evaluate({ spec: SPEC, currentReplicas: 0, samples: () => [], recommendations: [], now: 0 }).conditions.ScalingActive?.reason).toBe('ScalingDisabled');
    const failed = evaluate({ spec: SPEC, currentReplicas: 2, samples: () => ready(undefined, undefined), recommendations: [], now: 0 });
    expect(failed.failure?.reason).toBe('FailedGetResourceMetric');
    expect(failed.desiredReplicas).toBe(2);
  });

  it('an unsupported metric blocks a scale-down but not a scale-up', () => {
    const spec = { ...SPEC, unsupported: ['Pods'], scaleDownStabilizationSeconds: 0 };
    expect(evaluate({ spec, currentReplicas: 4, samples: () => ready(0.1, 0.1, 0.1, 0.1), recommendations: [], now: 0 }).failure).toBeDefined();
    expect(evaluate({ spec, currentReplicas: 2, samples: () => ready(1, 1), recommendations: [], now: 0 }).desiredReplicas).toBe(4);
  });
});
