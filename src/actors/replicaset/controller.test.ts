import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.ts';
import { prefixFor } from '../../api/metadata.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { InspectionBus, type TransitionRecord } from '../inspection.ts';
import { FakePodControl } from '../controller-kit/pod-control.ts';
import { ReplicaController } from './controller.ts';
import { REPLICA_SET, REPLICATION_CONTROLLER } from './replica-kind.ts';
import { activePodsOf, CONTAINERS, createWorkload, fixture, NS, PODS, podsOf, RC, replicaSet, RS, SlowWatchStore, type Fixture } from './test-support.ts';

let f: Fixture;
let controller: ReplicaController | undefined;
/** The controller's own clock (availability); tests move it. */
let nowMs: number;

beforeEach(async () => {
  f = await fixture();
  nowMs = Date.parse('2024-06-01T00:00:00Z');
});
afterEach(async () => {
  controller?.stop();
  controller = undefined;
  await f.close();
});

async function startController(kind = REPLICA_SET, opts: { bus?: InspectionBus; store?: Fixture['store'] } = {}): Promise<ReplicaController> {
  controller = new ReplicaController({ kind, store: opts.store ?? f.store, registry: f.registry, events: f.events, bus: opts.bus, now: () => new Date(nowMs) });
  await controller.start();
  return controller;
}

async function settled(c: ReplicaController): Promise<void> {
  await waitFor('controller idle', () => c.idle());
}

async function setPodStatus(pod: KubeObject, status: Record<string, unknown>): Promise<void> {
  const current = await f.registry.get(PODS, NS, pod.metadata?.name ?? '');
  await f.registry.updateStatus(PODS, NS, pod.metadata?.name ?? '', { ...current, status: { ...(current.status as object), ...status } });
}

const readyCondition = (since: string) => ({ conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] });

async function statusOf(info = RS, name = 'web'): Promise<Record<string, unknown>> {
  return (await f.registry.get(info, NS, name)).status as Record<string, unknown>;
}

describe('ReplicaSet controller', () => {
  it('creates the missing pods from the template, owned by the ReplicaSet', async () => {
    await startController();
    const rs = await createWorkload(f, RS, replicaSet('web', 3, { app: 'web' }));
    await waitFor('3 pods', async () => (await activePodsOf(f.registry, rs.metadata?.uid ?? '')).length === 3);
    const pods = await podsOf(f.registry);
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(pod.metadata?.labels).toEqual({ app: 'web' });
      expect(pod.metadata?.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    await waitFor('status replicas 3', async () => (await statusOf()).replicas === 3);
    expect(await statusOf()).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });
    expect(f.events.reasons().filter((r) => r === 'SuccessfulCreate')).toHaveLength(3);
  });

  it('scales down deleting unscheduled before scheduled, Pending before Running, not-ready before ready', async () => {
    const c = await startController();
    const rs = await createWorkload(f, RS, replicaSet('web', 4, { app: 'web' }));
    const uid = rs.metadata?.uid ?? '';
    const pods = await waitFor('4 pods', async () => {
      const p = await activePodsOf(f.registry, uid);
      return p.length === 4 && p;
    });
    const [readyRunning, notReadyRunning, pendingBound, unscheduled] = pods;
    for (const pod of [readyRunning, notReadyRunning, pendingBound]) await f.registry.bindPod(NS, pod.metadata?.name ?? '', { target: { name: 'node-1' } });
    await setPodStatus(readyRunning, { phase: 'Running', ...readyCondition('2024-05-01T00:00:00Z') });
    await setPodStatus(notReadyRunning, { phase: 'Running' });
    await settled(c);

    const order: string[] = [];
    for (const replicas of [3, 2, 1]) {
      await f.registry.patch(RS, NS, 'web', 'application/merge-patch+json', { spec: { replicas } });
      const gone = await waitFor(`scale to ${replicas}`, async () => {
        const live = await activePodsOf(f.registry, uid);
        return live.length === replicas && pods.find((p) => !live.some((l) => l.metadata?.uid === p.metadata?.uid) && !order.includes(p.metadata?.name ?? ''));
      });
      order.push(gone.metadata?.name ?? '');
      await settled(c);
    }
    expect(order).toEqual([unscheduled, pendingBound, notReadyRunning].map((p) => p.metadata?.name));
    expect((await activePodsOf(f.registry, uid)).map((p) => p.metadata?.name)).toEqual([readyRunning.metadata?.name]);
  });

  it('deletes the newest of otherwise equal pods first', async () => {
    const c = await startController();
    const rs = await createWorkload(f, RS, replicaSet('web', 3, { app: 'web' }));
    const uid = rs.metadata?.uid ?? '';
    const pods = await waitFor('3 pods', async () => {
      const p = await activePodsOf(f.registry, uid);
      return p.length === 3 && p;
    });
    await settled(c);
    const newest = [...pods].sort((a, b) => Date.parse(b.metadata?.creationTimestamp ?? '') - Date.parse(a.metadata?.creationTimestamp ?? ''))[0];
    await f.registry.patch(RS, NS, 'web', 'application/merge-patch+json', { spec: { replicas: 2 } });
    await waitFor('2 pods', async () => (await activePodsOf(f.registry, uid)).length === 2);
    expect((await activePodsOf(f.registry, uid)).map((p) => p.metadata?.name)).not.toContain(newest.metadata?.name);
  });

  it('never creates twice while its pod watch lags (expectations)', async () => {
    const slow = new SlowWatchStore(f.store, prefixFor(PODS));
    const c = await startController(REPLICA_SET, { store: slow.store });
    slow.held = true;
    await createWorkload(f, RS, replicaSet('web', 3, { app: 'web' }));
    await waitFor('3 pods in the store', async () => (await podsOf(f.registry)).length === 3);
    // Syncs keep coming (owner updates, resyncs) while the informer still sees no pods.
    for (let i = 0; i < 5; i++) {
      await f.registry.patch(RS, NS, 'web', 'application/merge-patch+json', { metadata: { annotations: { poke: String(i) } } });
      c.enqueue(NS, 'web');
      await settled(c);
    }
    expect(await podsOf(f.registry)).toHaveLength(3);
    slow.release();
    await waitFor('status replicas 3', async () => (await statusOf()).replicas === 3);
    await settled(c);
    expect(await podsOf(f.registry)).toHaveLength(3);
  });

  it('creates in slow-start batches within the burst limit', async () => {
    controller = new ReplicaController({ kind: REPLICA_SET, store: f.store, registry: f.registry, events: f.events, burstReplicas: 2 });
    await controller.start();
    await createWorkload(f, RS, replicaSet('web', 5, { app: 'web' }));
    await waitFor('5 pods', async () => (await podsOf(f.registry)).length === 5);
    await settled(controller);
    expect(await podsOf(f.registry)).toHaveLength(5);
  });

  it('adopts a matching orphan and releases a pod whose labels stop matching', async () => {
    const orphan = await f.registry.create(PODS, NS, { metadata: { name: 'stray', labels: { app: 'web' } }, spec: { containers: CONTAINERS } });
    const c = await startController();
    const rs = await createWorkload(f, RS, replicaSet('web', 1, { app: 'web' }));
    const uid = rs.metadata?.uid ?? '';
    await waitFor('orphan adopted', async () => (await f.registry.get(PODS, NS, 'stray')).metadata?.ownerReferences?.[0]?.uid === uid);
    await settled(c);
    expect(await podsOf(f.registry)).toHaveLength(1);
    expect((await f.registry.get(PODS, NS, 'stray')).metadata?.uid).toBe(orphan.metadata?.uid);

    const stray = await f.registry.get(PODS, NS, 'stray');
    await f.registry.update(PODS, NS, 'stray', { ...stray, metadata: { ...stray.metadata, labels: { app: 'other' } } });
    await waitFor('released', async () => (await f.registry.get(PODS, NS, 'stray')).metadata?.ownerReferences === undefined);
    await waitFor('a replacement', async () => (await activePodsOf(f.registry, uid)).length === 1);
    await settled(c);
    expect(await podsOf(f.registry)).toHaveLength(2);
  });

  it('adopts orphans that appear, or come to match, after its first sync; never a pod another controller controls', async () => {
    // Its own creates fail, so the only pods it can have are adopted ones.
    const pods = new FakePodControl();
    pods.createError = new Error('exceeded quota: pods');
    controller = new ReplicaController({ kind: REPLICA_SET, store: f.store, registry: f.registry, events: f.events, podControl: pods, now: () => new Date(nowMs) });
    await controller.start();
    const rs = await createWorkload(f, RS, replicaSet('web', 2, { app: 'web' }));
    const uid = rs.metadata?.uid ?? '';
    await waitFor('ReplicaFailure', async () => ((await statusOf()).conditions as { type: string }[] | undefined)?.some((c) => c.type === 'ReplicaFailure'));
    const other = { apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'job-uid', controller: true };
    await f.registry.create(PODS, NS, { metadata: { name: 'owned-elsewhere', labels: { app: 'web' }, ownerReferences: [other] }, spec: { containers: CONTAINERS } });
    await f.registry.create(PODS, NS, { metadata: { name: 'late', labels: { app: 'web' } }, spec: { containers: CONTAINERS } });
    await waitFor('late orphan adopted', async () => (await f.registry.get(PODS, NS, 'late')).metadata?.ownerReferences?.[0]?.uid === uid);
    await f.registry.create(PODS, NS, { metadata: { name: 'relabelled', labels: { app: 'not-yet' } }, spec: { containers: CONTAINERS } });
    await waitFor('1 replica counted', async () => (await statusOf()).replicas === 1);
    const relabelled = await f.registry.get(PODS, NS, 'relabelled');
    expect(relabelled.metadata?.ownerReferences).toBeUndefined();
    await f.registry.update(PODS, NS, 'relabelled', { ...relabelled, metadata: { ...relabelled.metadata, labels: { app: 'web' } } });
    await waitFor('relabelled orphan adopted', async () => (await f.registry.get(PODS, NS, 'relabelled')).metadata?.ownerReferences?.[0]?.uid === uid);
    await waitFor('2 replicas counted', async () => (await statusOf()).replicas === 2);
    expect((await f.registry.get(PODS, NS, 'owned-elsewhere')).metadata?.ownerReferences).toEqual([other]);
  });

  it('replaces a pod deleted out from under it, and ignores finished pods', async () => {
    const c = await startController();
    const rs = await createWorkload(f, RS, replicaSet('web', 2, { app: 'web' }));
    const uid = rs.metadata?.uid ?? '';
    const [first, second] = await waitFor('2 pods', async () => {
      const p = await activePodsOf(f.registry, uid);
      return p.length === 2 && p;
    });
    await settled(c);
    await f.registry.delete(PODS, NS, first.metadata?.name ?? '', { gracePeriodSeconds: 0 });
    await waitFor('replaced', async () => {
      const live = await activePodsOf(f.registry, uid);
      return live.length === 2 && !live.some((p) => p.metadata?.uid === first.metadata?.uid);
    });
    await setPodStatus(second, { phase: 'Failed' });
    await waitFor('failed pod replaced', async () => (await activePodsOf(f.registry, uid)).filter((p) => (p.status as { phase?: string }).phase !== 'Failed').length === 2);
    await settled(c);
    expect(await podsOf(f.registry)).toHaveLength(3);
    expect((await statusOf()).replicas).toBe(2);
  });

  it('reports ready and available replicas, honouring minReadySeconds', async () => {
    const c = await startController();
    const rs = await createWorkload(f, RS, replicaSet('web', 2, { app: 'web' }, { minReadySeconds: 30 }));
    const [a, b] = await waitFor('2 pods', async () => {
      const p = await activePodsOf(f.registry, rs.metadata?.uid ?? '');
      return p.length === 2 && p;
    });
    await setPodStatus(a, { phase: 'Running', ...readyCondition(new Date(nowMs - 60_000).toISOString()) });
    await setPodStatus(b, { phase: 'Running', ...readyCondition(new Date(nowMs - 10_000).toISOString()) });
    await waitFor('ready 2', async () => (await statusOf()).readyReplicas === 2);
    await settled(c);
    expect(await statusOf()).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 1 });
    nowMs += 30_000;
    c.enqueue(NS, 'web');
    await waitFor('available 2', async () => (await statusOf()).availableReplicas === 2);
  });

  it('creates that fail: the machine reports ReplicaFailure (FailedCreate) and the round is retried', async () => {
    const pods = new FakePodControl();
    pods.createError = new Error('exceeded quota: pods');
    controller = new ReplicaController({ kind: REPLICA_SET, store: f.store, registry: f.registry, events: f.events, podControl: pods, now: () => new Date(nowMs) });
    await controller.start();
    await createWorkload(f, RS, replicaSet('web', 3, { app: 'web' }));
    const failure = await waitFor('ReplicaFailure', async () => ((await statusOf()).conditions as Record<string, unknown>[] | undefined)?.find((k) => k.type === 'ReplicaFailure'));
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedCreate', message: 'exceeded quota: pods' });
    expect(controller.stateOf(NS, 'web')).toBe('scaling.failing');
    // Retried with backoff; once creates work again, the pods come and the condition goes.
    pods.createError = undefined;
    await waitFor('3 creates', () => pods.created.length === 3);
    expect(pods.created.every((c) => c.owner === 'web')).toBe(true);
  });

  it('does not rewrite an unchanged status', async () => {
    const c = await startController();
    await createWorkload(f, RS, replicaSet('web', 1, { app: 'web' }));
    await waitFor('status replicas 1', async () => (await statusOf()).replicas === 1);
    await settled(c);
    const rv = (await f.registry.get(RS, NS, 'web')).metadata?.resourceVersion;
    c.enqueue(NS, 'web');
    await settled(c);
    expect((await f.registry.get(RS, NS, 'web')).metadata?.resourceVersion).toBe(rv);
  });

  it('publishes what its machine decided on the inspection bus: creating, awaiting the pods, steady, deleting', async () => {
    const bus = new InspectionBus();
    const seen: TransitionRecord[] = [];
    bus.subscribe((r) => seen.push(r));
    const c = await startController(REPLICA_SET, { bus });
    await createWorkload(f, RS, replicaSet('web', 2, { app: 'web' }));
    const path = (): string[] => seen.filter((r) => r.kind === 'ReplicaSet' && r.name === 'web').map((r) => r.to);
    await waitFor('steady at 2', async () => (await statusOf()).replicas === 2 && path().at(-1) === 'steady');
    await settled(c);
    await f.registry.patch(RS, NS, 'web', 'application/merge-patch+json', { spec: { replicas: 0 } });
    await waitFor('steady at 0', async () => (await statusOf()).replicas === 0 && path().at(-1) === 'steady' && path().length > 4);
    expect(path()).toEqual(['unobserved', 'scaling.creating', 'scaling.awaitingPods', 'steady', 'scaling.deleting', 'scaling.awaitingPods', 'steady']);
    expect(await podsOf(f.registry)).toHaveLength(0);
  });
});

describe('ReplicationController controller', () => {
  it('keeps the replicas its map selector matches', async () => {
    const c = await startController(REPLICATION_CONTROLLER);
    const rc = await createWorkload(f, RC, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web' },
      spec: { replicas: 2, selector: { app: 'legacy' }, template: { metadata: { labels: { app: 'legacy', tier: 'fe' } }, spec: { containers: CONTAINERS } } },
    });
    const pods = await waitFor('2 pods', async () => {
      const p = await activePodsOf(f.registry, rc.metadata?.uid ?? '');
      return p.length === 2 && p;
    });
    expect(pods[0].metadata?.ownerReferences?.[0]).toMatchObject({ apiVersion: 'v1', kind: 'ReplicationController', name: 'web', controller: true });
    await waitFor('status', async () => (await statusOf(RC)).replicas === 2);
    await settled(c);
    expect(await statusOf(RC)).toMatchObject({ replicas: 2, fullyLabeledReplicas: 2, observedGeneration: 1 });
    // A pod that lost the non-selector label still counts, but not as fully labeled.
    const p = await f.registry.get(PODS, NS, pods[0].metadata?.name ?? '');
    await f.registry.update(PODS, NS, p.metadata?.name ?? '', { ...p, metadata: { ...p.metadata, labels: { app: 'legacy' } } });
    await waitFor('fully labeled 1', async () => (await statusOf(RC)).fullyLabeledReplicas === 1);
    expect((await statusOf(RC)).replicas).toBe(2);
  });
});
