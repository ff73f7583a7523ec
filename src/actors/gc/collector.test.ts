import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { ReplicaController } from '../replicaset/controller.ts';
import { REPLICA_SET } from '../replicaset/replica-kind.ts';
import { activePodsOf, createWorkload, fixture, NS, PODS, podsOf, replicaSet, RS, type Fixture } from '../replicaset/test-support.ts';
import { GarbageCollector } from './collector.ts';

const CONFIGMAPS = findKind('v1', 'ConfigMap') as ResourceInfo;

let f: Fixture;
let rsController: ReplicaController;
let gc: GarbageCollector;

beforeEach(async () => {
  f = await fixture();
  rsController = new ReplicaController({ kind: REPLICA_SET, store: f.store, registry: f.registry, events: f.events });
  gc = new GarbageCollector({ store: f.store, registry: f.registry });
  await rsController.start();
  await gc.start();
});
afterEach(async () => {
  gc.stop();
  rsController.stop();
  await f.close();
});

async function replicaSetWithPods(replicas: number): Promise<{ rs: KubeObject; pods: KubeObject[] }> {
  const rs = await createWorkload(f, RS, replicaSet('web', replicas, { app: 'web' }));
  const pods = await waitFor(`${replicas} pods`, async () => {
    const p = await activePodsOf(f.registry, rs.metadata?.uid ?? '');
    return p.length === replicas && p;
  });
  await waitFor('controllers idle', () => rsController.idle() && gc.idle());
  return { rs, pods };
}

async function gone(info: ResourceInfo, name: string): Promise<boolean> {
  try {
    await f.registry.get(info, NS, name);
    return false;
  } catch {
    return true;
  }
}

describe('garbage collector', () => {
  it('background: deletes the pods (and any other dependent) of a deleted ReplicaSet', async () => {
    const { rs } = await replicaSetWithPods(3);
    await f.registry.create(CONFIGMAPS, NS, {
      metadata: { name: 'web-config', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid }] },
      data: { a: 'b' },
    });
    await f.registry.delete(RS, NS, 'web', { propagationPolicy: 'Background' });
    expect(await gone(RS, 'web')).toBe(true);
    await waitFor('pods collected', async () => (await podsOf(f.registry)).length === 0);
    await waitFor('config map collected', () => gone(CONFIGMAPS, 'web-config'));
  });

  it('background: a dependent with another live owner only loses the dangling reference', async () => {
    const { rs } = await replicaSetWithPods(1);
    const keeper = await f.registry.create(CONFIGMAPS, NS, { metadata: { name: 'keeper' } });
    await f.registry.create(CONFIGMAPS, NS, {
      metadata: {
        name: 'shared',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid },
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'keeper', uid: keeper.metadata?.uid },
        ],
      },
    });
    await f.registry.delete(RS, NS, 'web');
    await waitFor('dangling reference removed', async () => (await f.registry.get(CONFIGMAPS, NS, 'shared')).metadata?.ownerReferences?.length === 1);
    expect((await f.registry.get(CONFIGMAPS, NS, 'shared')).metadata?.ownerReferences?.[0]?.uid).toBe(keeper.metadata?.uid);
  });

  it('orphan: the pods stay without their owner reference, then the ReplicaSet goes', async () => {
    const { pods } = await replicaSetWithPods(2);
    await f.registry.delete(RS, NS, 'web', { propagationPolicy: 'Orphan' });
    await waitFor('ReplicaSet gone', () => gone(RS, 'web'));
    const left = await podsOf(f.registry);
    expect(left.map((p) => p.metadata?.uid).sort()).toEqual(pods.map((p) => p.metadata?.uid).sort());
    for (const pod of left) {
      expect(pod.metadata?.ownerReferences).toBeUndefined();
      expect(pod.metadata?.deletionTimestamp).toBeUndefined();
    }
  });

  it('foreground: the ReplicaSet stays until its pods are gone, including one still terminating', async () => {
    const { pods } = await replicaSetWithPods(2);
    // A pod bound to a node is deleted gracefully: it stays until its node confirms.
    const bound = pods[0].metadata?.name ?? '';
    await f.registry.bindPod(NS, bound, { target: { name: 'node-1' } });
    await f.registry.delete(RS, NS, 'web', { propagationPolicy: 'Foreground' });
    await waitFor('unbound pod deleted', async () => (await podsOf(f.registry)).length === 1);
    const terminating = await waitFor('bound pod terminating', async () => {
      const p = await f.registry.get(PODS, NS, bound);
      return p.metadata?.deletionTimestamp ? p : undefined;
    });
    expect(terminating.metadata?.name).toBe(bound);
    await waitFor('collector idle', () => gc.idle() && rsController.idle());
    const rs = await f.registry.get(RS, NS, 'web');
    expect(rs.metadata?.deletionTimestamp).toBeDefined();
    expect(rs.metadata?.finalizers).toContain('foregroundDeletion');
    // No replacement is made for a ReplicaSet being deleted.
    expect(await podsOf(f.registry)).toHaveLength(1);

    await f.registry.delete(PODS, NS, bound, { gracePeriodSeconds: 0 });
    await waitFor('ReplicaSet gone after its last pod', () => gone(RS, 'web'));
  });

  it('collects dependents whose owner vanished while it was not running', async () => {
    const { rs } = await replicaSetWithPods(2);
    gc.stop();
    rsController.stop();
    await f.registry.delete(RS, NS, 'web');
    expect((await podsOf(f.registry, rs.metadata?.uid)).length).toBe(2);
    gc = new GarbageCollector({ store: f.store, registry: f.registry });
    await gc.start();
    await waitFor('pods collected on start', async () => (await podsOf(f.registry)).length === 0);
  });
});
