/**
 * The scheduler's VolumeBinding with the PersistentVolume controller, both on the embedded store:
 * WaitForFirstConsumer provisioning (the pod is bound to its node only once its claim is bound —
 * for local-path, once the node holds the directory, played here by adding the node's
 * finalizer), static WaitForFirstConsumer volumes chosen per node, a bound volume's node affinity
 * deciding the node, and the FailedScheduling messages kube-scheduler gives.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isRecord, recordList, type JsonObject, type KubeObject } from '../api/object.ts';
import { ANN_LOCAL_VOLUMES_DIR, ANN_SELECTED_NODE, LOCAL_VOLUME_FINALIZER } from '../api/storage/names.ts';
import { PersistentVolumeController } from '../actors/volume/controller.ts';
import { ensureDefaultStorageClass } from '../actors/volume/default-class.ts';
import { EventRecorder } from '../registry/event-recorder.ts';
import { retryOnConflict } from '../registry/retry-on-conflict.ts';
import { testCluster, waitFor, type TestCluster } from '../registry/test-support.ts';
import { Scheduler } from './scheduler.ts';
import { node } from './test-fixtures.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const PVCS = findKind('v1', 'PersistentVolumeClaim') as ResourceInfo;
const PVS = findKind('v1', 'PersistentVolume') as ResourceInfo;
const SCS = findKind('storage.k8s.io/v1', 'StorageClass') as ResourceInfo;
const EVENTS = findKind('v1', 'Event') as ResourceInfo;

const nodeNameOf = (p: KubeObject | undefined): unknown => (p && isRecord(p.spec) ? p.spec.nodeName : undefined);
const scheduledCondition = (p: KubeObject) => recordList(isRecord(p.status) ? p.status : undefined, 'conditions').find((c) => c.type === 'PodScheduled');
const affinity = (nodeName: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }] } });

let c: TestCluster;
let scheduler: Scheduler;
let binder: PersistentVolumeController;

beforeEach(async () => {
  c = await testCluster();
  const events = new EventRecorder({ registry: c.registry, source: { component: 'test' } });
  scheduler = new Scheduler({ store: c.store, registry: c.registry, events, queue: { initialBackoffMs: 20, maxBackoffMs: 100 } });
  binder = new PersistentVolumeController({ store: c.store, registry: c.registry, events, resyncMs: 0 });
});
afterEach(async () => {
  binder.stop();
  await scheduler.stop();
  await c.close();
});

async function start(): Promise<void> {
  await binder.start();
  await scheduler.start();
}

const createNode = (name: string, extra: { annotations?: Record<string, string>; ready?: 'True' | 'False' } = {}) => {
  const n = node({ name, ready: extra.ready });
  return c.registry.create(NODES, undefined, { ...n, metadata: { ...n.metadata, ...(extra.annotations ? { annotations: extra.annotations } : {}) } });
};
const claim = (name: string, spec: JsonObject = {}) =>
  c.registry.create(PVCS, 'default', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } });
const volume = (name: string, spec: JsonObject) =>
  c.registry.create(PVS, undefined, { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], local: { path: `/mnt/${name}` }, ...spec } });
const podUsing = (name: string, claims: string[]) =>
  c.registry.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: claims.map((cl, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: cl } })) },
  });
const getPod = (name: string) => c.registry.get(PODS, 'default', name);
const getClaim = (name: string) => c.registry.get(PVCS, 'default', name);
const claimPhase = async (name: string): Promise<unknown> => ((await getClaim(name)).status as { phase?: string } | undefined)?.phase;

async function boundNode(pod: string): Promise<unknown> {
  return nodeNameOf(await waitFor(`${pod} bound`, async () => ((await getPod(pod).then(nodeNameOf)) ? getPod(pod) : undefined)));
}

async function unschedulable(pod: string): Promise<string> {
  const p = await waitFor(`${pod} unschedulable`, async () => {
    const current = await getPod(pod);
    return scheduledCondition(current)?.status === 'False' ? current : undefined;
  });
  const message = String(scheduledCondition(p)?.message);
  const events = (await c.registry.list(EVENTS, 'default')).items.filter((e) => isRecord(e.involvedObject) && e.involvedObject.name === pod && e.reason === 'FailedScheduling');
  expect(events.map((e) => e.message)).toContain(message);
  return message;
}

describe('VolumeBinding: WaitForFirstConsumer', () => {
  it('provisions a local-path claim on the node it picks and binds the pod only once the claim is bound', async () => {
    await ensureDefaultStorageClass(c.registry);
    await createNode('n1', { annotations: { [ANN_LOCAL_VOLUMES_DIR]: '/var/lib/kactus/n1/volumes' } });
    const made = await claim('data');
    await podUsing('web', ['data']);
    await start();

    await waitFor('selected node', async () => (await getClaim('data')).metadata?.annotations?.[ANN_SELECTED_NODE] === 'n1');
    const pvName = `pvc-${made.metadata?.uid}`;
    const pv = await waitFor('the provisioned volume', () => c.registry.get(PVS, undefined, pvName).catch(() => undefined));
    expect(pv.spec).toMatchObject({ local: { path: `/var/lib/kactus/n1/volumes/${pvName}` }, nodeAffinity: affinity('n1') });
    // The node has not made the directory yet: neither the claim nor the pod is bound.
    await waitFor('idle', () => binder.idle());
    expect(nodeNameOf(await getPod('web'))).toBeUndefined();
    expect((await getClaim('data')).status).toMatchObject({ phase: 'Pending' });

    // The node made it (its finalizer, as the gateway writes it on the node's word).
    await retryOnConflict(async () => {
      const current = await c.registry.get(PVS, undefined, pvName);
      await c.registry.update(PVS, undefined, pvName, { ...current, metadata: { ...current.metadata, finalizers: [...(current.metadata?.finalizers ?? []), LOCAL_VOLUME_FINALIZER] } });
    });
    expect(await boundNode('web')).toBe('n1');
    await waitFor('claim Bound', async () => (await claimPhase('data')) === 'Bound');
  });

  it('chooses, per node, a static volume of a WaitForFirstConsumer class that fits, and binds it to the claim', async () => {
    await c.registry.create(SCS, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-storage' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
    await createNode('n1');
    await createNode('n2');
    await volume('small-on-n1', { storageClassName: 'local-storage', capacity: { storage: '1Gi' }, nodeAffinity: affinity('n1') });
    await volume('big-on-n2', { storageClassName: 'local-storage', capacity: { storage: '10Gi' }, nodeAffinity: affinity('n2') });
    await claim('big', { storageClassName: 'local-storage', resources: { requests: { storage: '5Gi' } } });
    await podUsing('db', ['big']);
    await claim('huge', { storageClassName: 'local-storage', resources: { requests: { storage: '50Gi' } } });
    await podUsing('greedy', ['huge']);
    await start();

    expect(await boundNode('db')).toBe('n2');
    // Bound as the scheduler checks it (volumeName + bind-completed); the binder writes the status right after.
    const bound = await waitFor('claim status', async () => ((await claimPhase('big')) === 'Bound' ? getClaim('big') : undefined));
    expect(bound.spec).toMatchObject({ volumeName: 'big-on-n2' });
    expect(bound.status).toMatchObject({ phase: 'Bound', capacity: { storage: '10Gi' } });
    expect(await unschedulable('greedy')).toBe("0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..");
  });
});

describe('VolumeBinding: bound claims and refusals', () => {
  it('sends a pod whose claim is bound to a volume on another node there only, and says when no node can have it', async () => {
    await createNode('n1');
    await createNode('n2');
    await volume('on-n2', { storageClassName: '', nodeAffinity: affinity('n2') });
    await volume('on-gone', { storageClassName: '', nodeAffinity: affinity('gone') });
    await claim('here', { storageClassName: '', volumeName: 'on-n2' });
    await claim('nowhere', { storageClassName: '', volumeName: 'on-gone' });
    await start();
    await waitFor('claims bound', async () => (await claimPhase('here')) === 'Bound' && (await claimPhase('nowhere')) === 'Bound');
    await podUsing('follows', ['here']);
    await podUsing('stranded', ['nowhere']);
    expect(await boundNode('follows')).toBe('n2');
    expect(await unschedulable('stranded')).toBe('0/2 nodes are available: 2 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..');
  });

  it('refuses pods with a missing claim or an unbound Immediate claim, and schedules them once the claim binds', async () => {
    await createNode('n1');
    await createNode('n2');
    await start();
    await podUsing('orphan', ['nope']);
    expect(await unschedulable('orphan')).toBe('0/2 nodes are available: persistentvolumeclaim "nope" not found.');
    await claim('immediate', { storageClassName: '' });
    await podUsing('early', ['immediate']);
    expect(await unschedulable('early')).toBe('0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
    // A volume appears: the binder binds the claim, the parked pod is tried again.
    await volume('late', { storageClassName: '' });
    expect(['n1', 'n2']).toContain(await boundNode('early'));
  });
});
