import { describe, expect, it } from 'vitest';
import { InvalidIntOrPercentError, maxSurge, maxUnavailable, resolveFenceposts } from './fenceposts.ts';
import { proportionalScale, type ProportionalSet } from './proportional.ts';
import { reconcileNewReplicaSet, reconcileOldReplicaSets, type ReplicaCounts, type RolloutLimits } from './rolling.ts';

describe('fenceposts: surge rounds up, unavailable rounds down', () => {
  it.each([
    // [maxSurge, maxUnavailable, replicas, surge, unavailable]
    ['25%', '25%', 10, 3, 2],
    ['25%', '25%', 4, 1, 1],
    ['25%', '25%', 1, 1, 0],
    ['25%', '25%', 3, 1, 0],
    ['10%', '10%', 5, 1, 0],
    [0, '10%', 5, 0, 1], // both resolve to 0: unavailable becomes 1
    ['0%', '0%', 10, 0, 1],
    [2, 1, 10, 2, 1],
    ['50%', 0, 3, 2, 0],
    [undefined, undefined, 4, 0, 1],
    ['100%', '100%', 7, 7, 7],
  ])('maxSurge %s maxUnavailable %s of %i → surge %i unavailable %i', (s, u, n, surge, unavailable) => {
    expect(resolveFenceposts(s, u, n)).toEqual({ surge, unavailable });
  });

  it('rejects a string that is not a percentage', () => {
    expect(() => resolveFenceposts('3', 1, 4)).toThrow(InvalidIntOrPercentError);
  });

  it('maxUnavailable is capped at replicas, 0 for Recreate and for 0 replicas', () => {
    const d = (spec: Record<string, unknown>) => ({ spec });
    expect(maxUnavailable(d({ replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 5, maxSurge: 1 } } }))).toBe(2);
    expect(maxUnavailable(d({ replicas: 0, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 5 } } }))).toBe(0);
    expect(maxUnavailable(d({ replicas: 3, strategy: { type: 'Recreate' } }))).toBe(0);
    expect(maxSurge(d({ replicas: 3, strategy: { type: 'Recreate' } }))).toBe(0);
    expect(maxSurge(d({ replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } }))).toBe(3);
  });
});

const rs = (name: string, replicas: number, available: number, createdMs = 0): ReplicaCounts => ({ name, replicas, available, createdMs });

describe('reconcileNewReplicaSet', () => {
  const limits: RolloutLimits = { replicas: 10, surge: 3, unavailable: 2 };
  it.each([
    // [old replicas, new replicas, expected target]
    [10, 0, 3], // surge room only
    [8, 3, 5],
    [10, 3, undefined], // at 13 already: wait
    [0, 10, undefined], // done
    [0, 12, 10], // too many: scale down to replicas
    [2, 5, 10], // room for 6 but only 5 missing
  ])('old %i new %i → %s', (oldN, newN, want) => {
    const newRS = rs('new', newN, newN, 2);
    expect(reconcileNewReplicaSet(limits, [rs('old', oldN, oldN, 1), newRS], newRS)).toBe(want);
  });
});

describe('reconcileOldReplicaSets (rolling.go examples)', () => {
  const limits: RolloutLimits = { replicas: 10, surge: 3, unavailable: 2 };

  it('scales old down by the availability above the minimum', () => {
    const old = rs('old', 10, 10, 1);
    const newRS = rs('new', 3, 0, 2);
    // 13 pods, min 8 available, 3 new unavailable: 13-8-3 = 2 may go; available 10 → 2 above min.
    expect(reconcileOldReplicaSets(limits, [old, newRS], [old], newRS)).toEqual([{ name: 'old', from: 10, to: 8 }]);
  });

  it('case 1: a crash-looping new set keeps old sets from shrinking', () => {
    const old = rs('old', 8, 7, 1); // one old pod lost to a node failure
    const newRS = rs('new', 5, 0, 2);
    expect(reconcileOldReplicaSets(limits, [old, newRS], [old], newRS)).toEqual([]);
  });

  it('removes unhealthy old pods first, oldest set first, then scales by availability', () => {
    const older = rs('a', 3, 1, 1);
    const old = rs('b', 7, 7, 2);
    const newRS = rs('new', 3, 3, 3);
    // total 13, min 8, new unavailable 0 → up to 5; cleanup 2 from a; available 11 → 3 above min.
    expect(reconcileOldReplicaSets(limits, [older, old, newRS], [older, old], newRS)).toEqual([
      { name: 'a', from: 3, to: 1 },
      { name: 'a', from: 1, to: 0 },
      { name: 'b', from: 7, to: 5 },
    ]);
  });

  it('does nothing at or below the minimum', () => {
    const old = rs('old', 8, 6, 1);
    const newRS = rs('new', 2, 2, 2);
    expect(reconcileOldReplicaSets({ replicas: 10, surge: 0, unavailable: 2 }, [old, newRS], [old], newRS)).toEqual([{ name: 'old', from: 8, to: 6 }]);
    const healthy = rs('old', 8, 8, 1);
    expect(reconcileOldReplicaSets({ replicas: 10, surge: 0, unavailable: 0 }, [healthy, newRS], [healthy], newRS)).toEqual([]);
  });
});

describe('proportional scaling', () => {
  const set = (name: string, replicas: number, createdMs: number, max?: number, desired?: number, available = replicas): ProportionalSet => ({
    name, replicas, available, createdMs, maxReplicasAnnotation: max, desiredAnnotation: desired,
  });

  it('a lone active set takes the whole count', () => {
    expect(proportionalScale({ replicas: 5, surge: 1, rollingUpdate: true, statusReplicas: 3, newRS: set('n', 3, 2, 4, 3), oldRSs: [set('o', 0, 1)] })).toEqual([{ name: 'n', to: 5 }]);
  });

  it('splits a scale-up in proportion (Kubernetes docs example: 10→15 mid-rollout, surge 3)', () => {
    // 10 replicas, maxSurge 3 → max 13 before; old 8, new 5. Scale to 15 → max 18: +5 to share.
    const out = proportionalScale({ replicas: 15, surge: 3, rollingUpdate: true, statusReplicas: 13, newRS: set('new', 5, 2, 13, 10, 0), oldRSs: [set('old', 8, 1, 13, 10)] });
    expect(out).toEqual([{ name: 'old', to: 11 }, { name: 'new', to: 7 }]);
    expect(out.reduce((n, t) => n + t.to, 0)).toBe(18);
  });

  it('a saturated new set retires the old ones', () => {
    expect(proportionalScale({ replicas: 4, surge: 1, rollingUpdate: true, statusReplicas: 6, newRS: set('n', 4, 2, 5, 4), oldRSs: [set('o', 2, 1, 5, 4)] })).toEqual([{ name: 'o', to: 0 }]);
  });
});
