import { describe, expect, it } from 'vitest';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { planSync } from './plan.ts';
import { unavailableCount } from './rolling.ts';
import { calculateStatus } from './status.ts';
import { REVISION_HASH_LABEL } from './template.ts';

const NOW = Date.parse('2024-06-01T00:00:00Z');
const node = (name: string, labels: Record<string, string> = {}): KubeObject => ({ metadata: { name, labels } });
const ds = (strategy: JsonObject = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, extra: JsonObject = {}): KubeObject => ({
  metadata: { name: 'd', namespace: 'default', uid: 'ds-uid', generation: 2 },
  spec: { updateStrategy: strategy, template: { spec: { containers: [] } }, ...extra },
});

let seq = 0;
function pod(nodeName: string, hash: string, state: { ready?: boolean; terminating?: boolean; failed?: boolean; readyForMs?: number } = {}): KubeObject {
  seq++;
  return {
    metadata: {
      name: `d-${seq}`,
      uid: `pod-${seq}`,
      creationTimestamp: new Date(NOW - 100_000 + seq * 1000).toISOString(),
      labels: { [REVISION_HASH_LABEL]: hash },
      ...(state.terminating ? { deletionTimestamp: new Date(NOW).toISOString() } : {}),
    },
    spec: { nodeName },
    status: {
      phase: state.failed ? 'Failed' : 'Running',
      conditions: [{ type: 'Ready', status: state.ready ? 'True' : 'False', lastTransitionTime: new Date(NOW - (state.readyForMs ?? 60_000)).toISOString() }],
    },
  };
}
const names = (pods: { pod: KubeObject }[]): string[] => pods.map((d) => d.pod.metadata?.name ?? '');
const nodes3 = [node('a'), node('b'), node('c')];

describe('planSync', () => {
  it('creates on nodes without a pod, deletes duplicates (keeping the oldest) and pods on missing nodes', () => {
    const keep = pod('b', 'new');
    const dup = pod('b', 'new');
    const orphan = pod('gone', 'new');
    const plan = planSync({ ds: ds(), hash: 'new', nodes: nodes3, pods: [keep, dup, orphan, pod('c', 'new', { terminating: true })], now: NOW });
    // c has only a terminating pod: wait for it to go before creating.
    expect(plan.create).toEqual(['a']);
    expect(plan.delete.map((d) => [d.pod.metadata?.name, d.reason])).toEqual([
      [dup.metadata?.name, 'Duplicate'],
      [orphan.metadata?.name, 'NodeGone'],
    ]);
  });

  it('rolling update with maxUnavailable 1 deletes one available old pod at a time', () => {
    const pods = [pod('a', 'old', { ready: true }), pod('b', 'old', { ready: true }), pod('c', 'old', { ready: true })];
    expect(names(planSync({ ds: ds(), hash: 'new', nodes: nodes3, pods, now: NOW }).retire)).toEqual([pods[0].metadata?.name]);
  });

  it('waits while the replaced node is not available yet, and replaces unavailable old pods at once', () => {
    const waiting = [pod('a', 'new'), pod('b', 'old', { ready: true }), pod('c', 'old', { ready: true })];
    expect(planSync({ ds: ds(), hash: 'new', nodes: nodes3, pods: waiting, now: NOW }).retire).toEqual([]);
    const gone = [pod('a', 'old', { terminating: true }), pod('b', 'old', { ready: true })];
    expect(planSync({ ds: ds(), hash: 'new', nodes: nodes3.slice(0, 2), pods: gone, now: NOW }).retire).toEqual([]);
    const broken = pod('c', 'old');
    const mixed = [pod('a', 'new'), pod('b', 'old', { ready: true }), broken];
    expect(names(planSync({ ds: ds(), hash: 'new', nodes: nodes3, pods: mixed, now: NOW }).retire)).toEqual([broken.metadata?.name]);
  });

  it('with maxUnavailable 2 deletes two; a percentage rounds up', () => {
    const pods = [pod('a', 'old', { ready: true }), pod('b', 'old', { ready: true }), pod('c', 'old', { ready: true })];
    expect(planSync({ ds: ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } }), hash: 'new', nodes: nodes3, pods, now: NOW }).retire).toHaveLength(2);
    expect(unavailableCount(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '34%' } }), 3)).toBe(2);
    expect(unavailableCount(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } }), 3)).toBe(1);
  });

  it('respects minReadySeconds: a new pod ready for less is not yet available', () => {
    const fresh = pod('a', 'new', { ready: true }); // ready since 60 s ago
    const pods = [fresh, pod('b', 'old', { ready: true, readyForMs: 3_600_000 })];
    const nodes = nodes3.slice(0, 2);
    expect(planSync({ ds: ds(undefined, { minReadySeconds: 120 }), hash: 'new', nodes, pods, now: NOW }).retire).toEqual([]);
    expect(planSync({ ds: ds(undefined, { minReadySeconds: 30 }), hash: 'new', nodes, pods, now: NOW }).retire).toHaveLength(1);
  });

  it('OnDelete never replaces old pods, only fills empty nodes', () => {
    const pods = [pod('a', 'old', { ready: true }), pod('b', 'old')];
    const plan = planSync({ ds: ds({ type: 'OnDelete' }), hash: 'new', nodes: nodes3, pods, now: NOW });
    expect(plan).toEqual({ create: ['c'], delete: [], retire: [], surge: [] });
  });

  it('deletes failed pods (to be replaced) and pods on nodes that stopped matching', () => {
    const failed = pod('a', 'new', { failed: true });
    const stray = pod('b', 'new', { ready: true });
    const selective = ds(undefined, { template: { spec: { containers: [], nodeSelector: { role: 'edge' } } } });
    const plan = planSync({ ds: selective, hash: 'new', nodes: [node('a', { role: 'edge' }), node('b')], pods: [failed, stray], now: NOW });
    expect(plan.delete.map((d) => [d.pod.metadata?.name, d.reason])).toEqual([
      [failed.metadata?.name, 'Failed'],
      [stray.metadata?.name, 'Misscheduled'],
    ]);
  });
});

describe('planSync with maxSurge (maxUnavailable 0)', () => {
  const surge = (maxSurge: number | string) => ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge } });

  it('starts new pods beside available old ones on at most maxSurge nodes', () => {
    const pods = [pod('a', 'old', { ready: true }), pod('b', 'old', { ready: true }), pod('c', 'old', { ready: true })];
    expect(planSync({ ds: surge(1), hash: 'new', nodes: nodes3, pods, now: NOW })).toMatchObject({ delete: [], create: [], retire: [], surge: ['a'] });
    expect(planSync({ ds: surge('50%'), hash: 'new', nodes: nodes3, pods, now: NOW }).surge).toEqual(['a', 'b']);
  });

  it('keeps old and new side by side until the new pod is available, then retires the old one', () => {
    const oldA = pod('a', 'old', { ready: true });
    const waiting = [oldA, pod('a', 'new'), pod('b', 'old', { ready: true })];
    // a is surging (its new pod not yet available): the one surge slot is taken, nothing else moves.
    expect(planSync({ ds: surge(1), hash: 'new', nodes: nodes3.slice(0, 2), pods: waiting, now: NOW })).toMatchObject({ delete: [], create: [], retire: [], surge: [] });
    const ready = [oldA, pod('a', 'new', { ready: true }), pod('b', 'old', { ready: true })];
    const plan = planSync({ ds: surge(1), hash: 'new', nodes: nodes3.slice(0, 2), pods: ready, now: NOW });
    // The manage step retires the old pod beside an available new one first (one kind of work per round).
    expect(plan.delete.map((d) => [d.pod.metadata?.name, d.reason])).toEqual([[oldA.metadata?.name, 'Update']]);
    expect(names(plan.retire)).toEqual([oldA.metadata?.name]);
  });

  it('replaces an unavailable old pod at once, beside it, whatever the surge budget', () => {
    const pods = [pod('a', 'old'), pod('b', 'old', { ready: true }), pod('b', 'new')];
    expect(planSync({ ds: surge(1), hash: 'new', nodes: nodes3.slice(0, 2), pods, now: NOW }).surge).toEqual(['a']);
  });

  it('deletes duplicates beyond the oldest old and oldest new pod', () => {
    const keepOld = pod('a', 'old', { ready: true });
    const keepNew = pod('a', 'new');
    const extraNew = pod('a', 'new');
    const plan = planSync({ ds: surge(1), hash: 'new', nodes: nodes3.slice(0, 1), pods: [keepOld, keepNew, extraNew], now: NOW });
    expect(plan.delete.map((d) => [d.pod.metadata?.name, d.reason])).toEqual([[extraNew.metadata?.name, 'Duplicate']]);
  });

  it('a surge of 0 with maxUnavailable 0 still moves one node at a time', () => {
    expect(unavailableCount(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }), 3)).toBe(1);
    expect(unavailableCount(surge(1), 3)).toBe(0);
  });
});

describe('calculateStatus', () => {
  it('counts per node as Kubernetes does', () => {
    const selective = ds(undefined, { template: { spec: { containers: [], nodeSelector: { role: 'edge' } } } });
    const nodes = [node('a', { role: 'edge' }), node('b', { role: 'edge' }), node('c', { role: 'edge' }), node('x')];
    const pods = [pod('a', 'new', { ready: true }), pod('b', 'old', { ready: true }), pod('c', 'new'), pod('x', 'old', { ready: true })];
    expect(calculateStatus(selective, 'new', nodes, pods, NOW)).toEqual({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberMisscheduled: 1,
      numberReady: 2,
      numberAvailable: 2,
      numberUnavailable: 1,
      updatedNumberScheduled: 2,
      observedGeneration: 2,
    });
  });
});
