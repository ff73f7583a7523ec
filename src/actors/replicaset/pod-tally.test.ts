import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { LabelSelector } from '../../api/selectors.ts';
import { controllerRefOf, isActive } from '../controller-kit/pods.ts';
import { ownerShape, PodTallies } from './pod-tally.ts';
import { countPods } from './status.ts';

const T0 = Date.parse('2024-06-01T00:00:00Z');
const OWNERS = ['rs-a', 'rs-b'];

function owner(uid: string, app: string, minReadySeconds: number, tier?: string): KubeObject {
  const labels = { app, ...(tier ? { tier } : {}) };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: uid, namespace: 'default', uid },
    spec: { replicas: 3, minReadySeconds, selector: { matchLabels: { app } }, template: { metadata: { labels }, spec: {} } },
  };
}

interface PodSpec {
  i: number;
  owner: number | undefined;
  app: string;
  tier: string | undefined;
  phase: string;
  deleting: boolean;
  readyAgoS: number | undefined;
  foreignKind: boolean;
}

function pod(p: PodSpec): KubeObject {
  const ref = p.owner === undefined ? undefined : { apiVersion: 'apps/v1', kind: p.foreignKind ? 'StatefulSet' : 'ReplicaSet', name: OWNERS[p.owner], uid: OWNERS[p.owner], controller: true };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `p${p.i}`,
      namespace: 'default',
      uid: `pod-${p.i}`,
      labels: { app: p.app, ...(p.tier ? { tier: p.tier } : {}) },
      ...(ref ? { ownerReferences: [ref] } : {}),
      ...(p.deleting ? { deletionTimestamp: '2024-06-01T00:00:00Z' } : {}),
    },
    status: {
      phase: p.phase,
      conditions: p.readyAgoS === undefined ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(T0 - p.readyAgoS * 1000).toISOString() }],
    },
  };
}

const podSpec = fc.record({
  i: fc.integer({ min: 0, max: 9 }),
  owner: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
  app: fc.constantFrom('web', 'db'),
  tier: fc.option(fc.constant('front'), { nil: undefined }),
  phase: fc.constantFrom('Pending', 'Running', 'Succeeded'),
  deleting: fc.boolean(),
  readyAgoS: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
  foreignKind: fc.boolean(),
});
const ownerSpec = fc.record({ app: fc.constantFrom('web', 'db'), minReadySeconds: fc.constantFrom(0, 5, 10), tier: fc.option(fc.constant('front'), { nil: undefined }) });
const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pod: podSpec }),
  fc.record({ kind: fc.constant('delete' as const), i: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant('sync' as const), owner: fc.integer({ min: 0, max: 1 }), shape: ownerSpec, nowS: fc.integer({ min: 0, max: 30 }) }),
);

describe('PodTallies', () => {
  it('after any sequence of pod events and syncs, an owner\'s counts equal counting its pods afresh (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const tallies = new PodTallies((ref) => ref.kind === 'ReplicaSet');
        const store = new Map<string, KubeObject>();
        let lastNow = T0;
        for (const o of ops) {
          if (o.kind === 'set') {
            const p = pod(o.pod);
            store.set(`p${o.pod.i}`, p);
            tallies.set(`p${o.pod.i}`, p);
          } else if (o.kind === 'delete') {
            const p = store.get(`p${o.i}`);
            if (!p) continue;
            store.delete(`p${o.i}`);
            tallies.delete(`p${o.i}`, p);
          } else {
            const uid = OWNERS[o.owner] as string;
            const rs = owner(uid, o.shape.app, o.shape.minReadySeconds, o.shape.tier);
            const selector = LabelSelector.fromObject({ matchLabels: { app: o.shape.app } });
            // Time does not go back between syncs.
            lastNow = Math.max(lastNow, T0 + o.nowS * 1000);
            const tally = tallies.tally(uid);
            tally.reshape(ownerShape(rs, selector));
            const owned = [...store.values()].filter((p) => isActive(p) && controllerRefOf(p)?.uid === uid && controllerRefOf(p)?.kind === 'ReplicaSet');
            const matching = owned.filter((p) => selector.matches(p.metadata?.labels));
            expect(tally.countsAt(lastNow)).toEqual(countPods(rs, matching, lastNow));
            expect(tally.matching().map((p) => p.metadata?.name).sort()).toEqual(matching.map((p) => p.metadata?.name).sort());
            expect(tally.strayPods().map((p) => p.metadata?.name).sort()).toEqual(owned.filter((p) => !matching.includes(p)).map((p) => p.metadata?.name).sort());
            const orphans = [...store.values()].filter((p) => isActive(p) && !controllerRefOf(p));
            expect(tallies.orphanKeys('default').sort()).toEqual(orphans.map((p) => p.metadata?.name).sort());
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a pod event costs one look at that pod; only a change of the owner\'s shape looks at all of its pods again', () => {
    const tallies = new PodTallies((ref) => ref.kind === 'ReplicaSet');
    const rs = owner('rs-a', 'web', 0);
    const selector = LabelSelector.fromObject({ matchLabels: { app: 'web' } });
    const tally = tallies.tally('rs-a');
    tally.reshape(ownerShape(rs, selector));
    const spec = (i: number, readyAgoS?: number): PodSpec => ({ i, owner: 0, app: 'web', tier: undefined, phase: 'Running', deleting: false, readyAgoS, foreignKind: false });
    for (let i = 0; i < 1000; i++) tallies.set(`p${i}`, pod(spec(i)));
    expect(tallies.stats.podsExamined).toBe(1000);
    tallies.set('p7', pod(spec(7, 1)));
    tally.reshape(ownerShape(rs, selector));
    expect(tallies.stats.podsExamined).toBe(1001);
    expect(tally.countsAt(T0)).toEqual({ replicas: 1000, fullyLabeled: 1000, ready: 1, available: 1 });
    tally.reshape(ownerShape(owner('rs-a', 'web', 30), selector));
    expect(tallies.stats.podsExamined).toBe(2001);
    expect(tally.countsAt(T0)).toEqual({ replicas: 1000, fullyLabeled: 1000, ready: 1, available: 0 });
  });
});
