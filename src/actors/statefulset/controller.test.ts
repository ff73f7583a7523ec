/**
 * The StatefulSet controller against the memory store and a real Registry (no kubelet: the tests
 * play the node daemon, marking pods running and ready, confirming graceful deletions, failing a
 * pod as the node controller does for a lost node). Time is a SimulatedClock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { InspectionBus, type TransitionRecord } from '../inspection.ts';
import { StatefulSetController } from './controller.ts';
import { POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL } from './identity.ts';
import { CLAIMS, CONTROLLER_REVISIONS, PODS, STATEFUL_SETS } from './kinds.ts';
import {
  claimsIn,
  confirmDeletions,
  createStatefulSet,
  fixture,
  live,
  markReady,
  NS,
  podNamed,
  podsIn,
  revisionsIn,
  setPhase,
  statefulSet,
  terminating,
  type Fixture,
  type StatefulSetShape,
} from './test-support.ts';

let f: Fixture;
let controller: StatefulSetController | undefined;
let clock: SimulatedClock;

beforeEach(async () => {
  f = await fixture();
  clock = new SimulatedClock();
  clock.set(Date.parse('2024-06-01T00:00:00Z'));
});
afterEach(async () => {
  controller?.stop();
  controller = undefined;
  await f.close();
});

async function startController(bus?: InspectionBus): Promise<StatefulSetController> {
  controller = new StatefulSetController({ store: f.store, registry: f.registry, events: f.events, clock, bus });
  await controller.start();
  return controller;
}

async function settled(): Promise<void> {
  await waitFor('controller idle', () => controller?.idle());
}

const names = (objs: readonly KubeObject[]): string[] => objs.map((o) => o.metadata?.name ?? '').sort();

async function statusOf(name = 'web'): Promise<JsonObject> {
  return (await f.registry.get(STATEFUL_SETS, NS, name)).status as JsonObject;
}

/** Waits until exactly `expected` live pods exist. */
async function livePods(expected: string[]): Promise<KubeObject[]> {
  return waitFor(`live pods ${expected.join(',')}`, async () => {
    const pods = live(await podsIn(f));
    return JSON.stringify(names(pods)) === JSON.stringify([...expected].sort()) && pods;
  });
}

/** Plays the scheduler: binds the pod to `node` (a bound pod is deleted gracefully, as on a node). */
async function bind(pod: KubeObject, node = 'node-1'): Promise<void> {
  if ((pod.spec as JsonObject).nodeName) return;
  await f.registry.bindPod(NS, pod.metadata?.name ?? '', { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata?.name }, target: { kind: 'Node', name: node } });
}

/** Plays the scheduler and the node daemon: the pod is bound, runs and is ready. */
async function runReady(pod: KubeObject, node = 'node-1'): Promise<void> {
  await bind(pod, node);
  await markReady(f, pod);
}

/** Every live pod is bound, runs and is ready; returns them. */
async function readyAll(): Promise<KubeObject[]> {
  const pods = live(await podsIn(f));
  for (const p of pods) await runReady(p);
  return pods;
}

/** Brings the set up to `expected` pods, marking each ready as it appears (OrderedReady makes them one by one). */
async function bringUp(expected: string[]): Promise<void> {
  for (let i = 1; i <= expected.length; i++) {
    await livePods(expected.slice(0, i));
    await readyAll();
  }
  await settled();
}

async function updateSet(name: string, change: (spec: JsonObject) => JsonObject): Promise<void> {
  await retryOnConflict(async () => {
    const current = await f.registry.get(STATEFUL_SETS, NS, name);
    await f.registry.update(STATEFUL_SETS, NS, name, { ...current, spec: change(current.spec as JsonObject) });
  });
}

const image = (pod: KubeObject): string => String(((pod.spec as JsonObject).containers as JsonObject[])[0]!.image);

describe('StatefulSet controller: identity and order', () => {
  it('creates web-0, web-1, web-2 in order, each once the previous one runs ready, with its identity and its claim first', async () => {
    const bus = new InspectionBus();
    const transitions: TransitionRecord[] = [];
    bus.subscribe((t) => transitions.push(t));
    await startController(bus);
    await createStatefulSet(f, statefulSet('web', { claims: ['data'] }));

    const [web0] = await livePods(['web-0']);
    await settled();
    expect(names(live(await podsIn(f)))).toEqual(['web-0']);
    expect(names(await claimsIn(f))).toEqual(['data-web-0']);
    expect(web0!.metadata?.labels).toMatchObject({ app: 'web', [POD_NAME_LABEL]: 'web-0', [POD_INDEX_LABEL]: '0' });
    expect(web0!.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: 'web', controller: true })]);
    expect(web0!.spec).toMatchObject({ hostname: 'web-0', subdomain: 'web', volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }] });

    // Pending, then running but not ready: web-1 waits.
    await setPhase(f, web0!, 'Running');
    await settled();
    expect(names(live(await podsIn(f)))).toEqual(['web-0']);

    await runReady(web0!);
    const pods = await livePods(['web-0', 'web-1']);
    await settled();
    expect(names(await claimsIn(f))).toEqual(['data-web-0', 'data-web-1']);
    await runReady(pods.find((p) => p.metadata?.name === 'web-1')!);
    await livePods(['web-0', 'web-1', 'web-2']);
    await readyAll();
    await settled();
    const status = await statusOf();
    expect(status).toMatchObject({ observedGeneration: 1, replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3 });
    expect(status.currentRevision).toBe(status.updateRevision);
    expect(controller!.stateOf(NS, 'web')).toBe('steady');

    // The claims' SuccessfulCreate come before each pod's, as Kubernetes records them.
    const created = f.events.recorded.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message);
    expect(created).toEqual([
      'create Claim data-web-0 Pod web-0 in StatefulSet web success',
      'create Pod web-0 in StatefulSet web successful',
      'create Claim data-web-1 Pod web-1 in StatefulSet web success',
      'create Pod web-1 in StatefulSet web successful',
      'create Claim data-web-2 Pod web-2 in StatefulSet web success',
      'create Pod web-2 in StatefulSet web successful',
    ]);
    // The actor's transitions reached the bus as the event stream carries them.
    expect(transitions.some((t) => t.kind === 'StatefulSet' && t.name === 'web' && t.to === 'steady')).toBe(true);
  });

  it('Parallel creates every pod at once', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { parallel: true }));
    await livePods(['web-0', 'web-1', 'web-2']);
  });

  it('scales down from the highest ordinal, one pod at a time after each is gone, and keeps the claims', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 3, claims: ['data'] }));
    await bringUp(['web-0', 'web-1', 'web-2']);
    await updateSet('web', (spec) => ({ ...spec, replicas: 1 }));
    await waitFor('web-2 terminating', async () => names(terminating(await podsIn(f))).join() === 'web-2');
    await settled();
    // web-1 stays while web-2 is still terminating.
    expect(names(live(await podsIn(f)))).toEqual(['web-0', 'web-1']);
    await confirmDeletions(f);
    await waitFor('web-1 terminating', async () => names(terminating(await podsIn(f))).join() === 'web-1');
    await confirmDeletions(f);
    await livePods(['web-0']);
    await settled();
    expect(names(await claimsIn(f))).toEqual(['data-web-0', 'data-web-1', 'data-web-2']);
    expect(await statusOf()).toMatchObject({ replicas: 1, readyReplicas: 1 });
  });

  it('recreates a deleted pod under the same name, mounting the same claim', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 2, claims: ['data'] }));
    await bringUp(['web-0', 'web-1']);
    const claimBefore = (await f.registry.get(CLAIMS, NS, 'data-web-1')).metadata?.uid;
    const before = (await podNamed(f, 'web-1'))!;
    await f.registry.delete(PODS, NS, 'web-1');
    await confirmDeletions(f);
    const after = await waitFor('web-1 again', async () => {
      const p = await podNamed(f, 'web-1');
      return p && p.metadata?.uid !== before.metadata?.uid && p;
    });
    expect(((after.spec as JsonObject).volumes as JsonObject[])[0]).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } });
    expect((await f.registry.get(CLAIMS, NS, 'data-web-1')).metadata?.uid).toBe(claimBefore);
  });

  it('replaces a pod of a lost node only once it is gone from the store: a terminating one is waited for, a Failed one deleted first', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 2 }));
    await bringUp(['web-0', 'web-1']);

    // Terminating on a node that cannot confirm it: no second web-1.
    const stuck = (await podNamed(f, 'web-1'))!;
    await f.registry.delete(PODS, NS, 'web-1');
    await settled();
    expect((await podsIn(f)).filter((p) => p.metadata?.name === 'web-1')).toHaveLength(1);
    expect((await podNamed(f, 'web-1'))!.metadata?.uid).toBe(stuck.metadata?.uid);
    await confirmDeletions(f);
    const second = await waitFor('web-1 replaced', async () => {
      const p = await podNamed(f, 'web-1');
      return p && p.metadata?.uid !== stuck.metadata?.uid && p;
    });
    await runReady(second);
    await settled();

    // Failed NodeLost (what the node controller writes): deleted by the set, then made again.
    const failed = (await podNamed(f, 'web-1'))!;
    await f.registry.updateStatus(PODS, NS, 'web-1', { ...failed, status: { ...(failed.status as JsonObject), phase: 'Failed', reason: 'NodeLost' } });
    const third = await waitFor('web-1 replaced after failing', async () => {
      const p = await podNamed(f, 'web-1');
      return p && p.metadata?.uid !== failed.metadata?.uid && p;
    });
    expect((third.status as JsonObject).phase).toBe('Pending');
    expect(f.events.recorded.map((e) => e.message)).toContain('delete Pod web-1 in StatefulSet web successful');
  });

  it('numbers pods from spec.ordinals.start', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 2, start: 3, parallel: true }));
    await livePods(['web-3', 'web-4']);
  });

  it('adopts an orphan member its selector matches, and leaves a pod of another name alone', async () => {
    await f.registry.create(PODS, NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });
    await f.registry.create(PODS, NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 1 }));
    const web0 = await waitFor('web-0 adopted', async () => {
      const p = await podNamed(f, 'web-0');
      return p?.metadata?.ownerReferences?.[0]?.kind === 'StatefulSet' && p;
    });
    // Its identity labels are set once it runs ready.
    await runReady(web0);
    await waitFor('identity labels', async () => (await podNamed(f, 'web-0'))?.metadata?.labels?.[POD_NAME_LABEL] === 'web-0');
    expect((await podNamed(f, 'stray'))!.metadata?.ownerReferences).toBeUndefined();
  });
});

describe('StatefulSet controller: updates and revisions', () => {
  it('rolls a new template from the highest ordinal, records ControllerRevisions, and completes the revision in status', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { image: 'busybox:1' }));
    await bringUp(['web-0', 'web-1', 'web-2']);
    const first = (await statusOf()).updateRevision as string;
    expect(names(await revisionsIn(f))).toEqual([first]);

    await updateSet('web', (spec) => ({ ...spec, template: (statefulSet('web', { image: 'busybox:2' }).spec as JsonObject).template }));
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const going = await waitFor('a pod terminating for the update', async () => terminating(await podsIn(f))[0]);
      order.push(going.metadata?.name ?? '');
      await confirmDeletions(f);
      const back = await waitFor(`${going.metadata?.name} at the new image`, async () => {
        const p = await podNamed(f, going.metadata?.name ?? '');
        return p && !p.metadata?.deletionTimestamp && image(p) === 'busybox:2' && p;
      });
      await runReady(back);
    }
    expect(order).toEqual(['web-2', 'web-1', 'web-0']);
    await settled();
    const status = await statusOf();
    expect(status.updateRevision).not.toBe(first);
    expect(status).toMatchObject({ currentRevision: status.updateRevision, updatedReplicas: 3, currentReplicas: 3, readyReplicas: 3 });
    const revisions = await revisionsIn(f);
    expect(revisions.map((r) => [r.metadata?.name, r.revision]).sort()).toEqual([
      [first, 1],
      [status.updateRevision, 2],
    ]);
    const pods = live(await podsIn(f));
    expect(pods.every((p) => p.metadata?.labels?.[REVISION_LABEL] === status.updateRevision)).toBe(true);
  });

  it('stops at the partition, then goes back to the first revision (rollout undo patch) by renumbering it', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { image: 'busybox:1', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
    await bringUp(['web-0', 'web-1', 'web-2']);
    const first = (await statusOf()).currentRevision as string;
    await updateSet('web', (spec) => ({ ...spec, template: (statefulSet('web', { image: 'busybox:2' }).spec as JsonObject).template }));
    await waitFor('web-2 terminating', async () => names(terminating(await podsIn(f))).join() === 'web-2');
    await confirmDeletions(f);
    const web2 = await waitFor('web-2 updated', async () => {
      const p = await podNamed(f, 'web-2');
      return p && !p.metadata?.deletionTimestamp && image(p) === 'busybox:2' && p;
    });
    await runReady(web2);
    await settled();
    expect(controller!.stateOf(NS, 'web')).toBe('partitioned');
    expect(live(await podsIn(f)).map((p) => [p.metadata?.name, image(p)]).sort()).toEqual([
      ['web-0', 'busybox:1'],
      ['web-1', 'busybox:1'],
      ['web-2', 'busybox:2'],
    ]);
    expect(await statusOf()).toMatchObject({ currentRevision: first, updatedReplicas: 1, currentReplicas: 2 });

    // kubectl rollout undo: a strategic merge patch with the first revision's data.
    const revision = await f.registry.get(CONTROLLER_REVISIONS, NS, first);
    await f.registry.patch(STATEFUL_SETS, NS, 'web', 'application/strategic-merge-patch+json', revision.data);
    await waitFor('web-2 terminating for the undo', async () => names(terminating(await podsIn(f))).join() === 'web-2');
    await confirmDeletions(f);
    const back = await waitFor('web-2 back at the first image', async () => {
      const p = await podNamed(f, 'web-2');
      return p && !p.metadata?.deletionTimestamp && image(p) === 'busybox:1' && p;
    });
    await runReady(back);
    await settled();
    expect((await f.registry.get(CONTROLLER_REVISIONS, NS, first)).revision).toBe(3);
    expect(await statusOf()).toMatchObject({ currentRevision: first, updateRevision: first, updatedReplicas: 3 });
    expect(controller!.stateOf(NS, 'web')).toBe('steady');
  });

  it('OnDelete replaces a pod only when its user deletes it', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 2, image: 'busybox:1', updateStrategy: { type: 'OnDelete' } }));
    await bringUp(['web-0', 'web-1']);
    await updateSet('web', (spec) => ({ ...spec, template: (statefulSet('web', { image: 'busybox:2' }).spec as JsonObject).template }));
    await settled();
    expect(terminating(await podsIn(f))).toEqual([]);
    expect(controller!.stateOf(NS, 'web')).toBe('outdated');
    await f.registry.delete(PODS, NS, 'web-0');
    await confirmDeletions(f);
    await waitFor('web-0 at the new image', async () => {
      const p = await podNamed(f, 'web-0');
      return p && image(p) === 'busybox:2';
    });
  });

  it('keeps revisionHistoryLimit old revisions', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 1, image: 'busybox:1', revisionHistoryLimit: 1 }));
    await bringUp(['web-0']);
    for (const tag of ['2', '3', '4']) {
      await updateSet('web', (spec) => ({ ...spec, template: (statefulSet('web', { image: `busybox:${tag}` }).spec as JsonObject).template }));
      await waitFor('web-0 terminating', async () => terminating(await podsIn(f)).length === 1);
      await confirmDeletions(f);
      const p = await waitFor(`web-0 at ${tag}`, async () => {
        const pod = await podNamed(f, 'web-0');
        return pod && !pod.metadata?.deletionTimestamp && image(pod) === `busybox:${tag}` && pod;
      });
      await runReady(p);
      await settled();
    }
    // Live: the current one; history: one more.
    await waitFor('history trimmed to the limit', async () => (await revisionsIn(f)).length === 2);
    expect((await revisionsIn(f)).map((r) => r.revision).sort()).toEqual([3, 4]);
  });
});

describe('StatefulSet controller: claim retention (owner references the garbage collector follows)', () => {
  const refsOf = async (claim: string): Promise<string[]> =>
    ((await f.registry.get(CLAIMS, NS, claim)).metadata?.ownerReferences ?? []).map((r) => `${String(r.kind)}/${String(r.name)}`);

  it('Retain/Retain: claims carry no owner', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 1, claims: ['data'] }));
    await bringUp(['web-0']);
    expect(await refsOf('data-web-0')).toEqual([]);
  });

  it('whenDeleted Delete: claims are owned by the set; whenScaled Delete: a scaled-away pod owns its claim before it goes', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 2, claims: ['data'], retention: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
    await bringUp(['web-0', 'web-1']);
    expect(await refsOf('data-web-0')).toEqual(['StatefulSet/web']);
    expect(await refsOf('data-web-1')).toEqual(['StatefulSet/web']);
    await updateSet('web', (spec) => ({ ...spec, replicas: 1 }));
    await waitFor('web-1 terminating', async () => names(terminating(await podsIn(f))).join() === 'web-1');
    // The claim was handed to the pod before the pod was deleted: the collector removes it with the pod.
    expect(await refsOf('data-web-1')).toEqual(['Pod/web-1']);
    expect(await refsOf('data-web-0')).toEqual(['StatefulSet/web']);
  });

  it('does not make a pod over a claim being deleted, and makes it with a fresh claim once that one is gone', async () => {
    await startController();
    await createStatefulSet(f, statefulSet('web', { replicas: 1, claims: ['data'] }));
    await bringUp(['web-0']);
    // Hold the claim in deletion with a finalizer, as the protection controller would.
    const claim = await f.registry.get(CLAIMS, NS, 'data-web-0');
    await f.registry.update(CLAIMS, NS, 'data-web-0', { ...claim, metadata: { ...claim.metadata, finalizers: ['kubernetes.io/pvc-protection'] } });
    await f.registry.delete(CLAIMS, NS, 'data-web-0');
    await f.registry.delete(PODS, NS, 'web-0');
    await confirmDeletions(f);
    await settled();
    expect(live(await podsIn(f))).toEqual([]);
    const held = await f.registry.get(CLAIMS, NS, 'data-web-0');
    await f.registry.update(CLAIMS, NS, 'data-web-0', { ...held, metadata: { ...held.metadata, finalizers: [] } });
    await livePods(['web-0']);
    const fresh = await f.registry.get(CLAIMS, NS, 'data-web-0');
    expect(fresh.metadata?.uid).not.toBe(claim.metadata?.uid);
  });
});

describe('StatefulSet controller: status for kubectl', () => {
  it('status is what `kubectl rollout status` reads: ready, updated and the revisions', async () => {
    await startController();
    const shape: StatefulSetShape = { replicas: 2 };
    await createStatefulSet(f, statefulSet('web', shape));
    await livePods(['web-0']);
    await settled();
    expect(await statusOf()).toMatchObject({ observedGeneration: 1, replicas: 1, readyReplicas: 0 });
    await bringUp(['web-0', 'web-1']);
    expect(await statusOf()).toMatchObject({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 });
  });
});
