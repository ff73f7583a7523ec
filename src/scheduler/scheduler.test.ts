import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isRecord, recordList, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { EventRecorder } from '../registry/event-recorder.ts';
import { objectInformer } from '../registry/informers.ts';
import { testCluster, waitFor, type TestCluster } from '../registry/test-support.ts';
import { Scheduler } from './scheduler.ts';
import { node, pod } from './test-fixtures.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const EVENTS = findKind('v1', 'Event') as ResourceInfo;

const nodeNameOf = (p: KubeObject): unknown => (isRecord(p.spec) ? p.spec.nodeName : undefined);
const condition = (p: KubeObject, type: string) => recordList(isRecord(p.status) ? p.status : undefined, 'conditions').find((c) => c.type === type);

describe('scheduler on the embedded store', () => {
  let c: TestCluster;
  let scheduler: Scheduler;

  beforeEach(async () => {
    c = await testCluster();
    const events = new EventRecorder({ registry: c.registry, source: { component: 'default-scheduler' } });
    scheduler = new Scheduler({ store: c.store, registry: c.registry, events, queue: { initialBackoffMs: 20, maxBackoffMs: 100 } });
  });
  afterEach(async () => {
    await scheduler.stop();
    await c.close();
  });

  const create = (info: ResourceInfo, obj: KubeObject) => {
    const { uid: _uid, ...metadata } = obj.metadata ?? {};
    return c.registry.create(info, metadata.namespace, { ...obj, metadata });
  };
  const eventsFor = async (name: string) =>
    (await c.registry.list(EVENTS, 'default')).items.filter((e) => isRecord(e.involvedObject) && e.involvedObject.name === name);

  it('binds a pending pod to the least allocated node that fits and records Scheduled', async () => {
    await create(NODES, node({ name: 'busy' }));
    await create(NODES, node({ name: 'idle' }));
    await create(NODES, node({ name: 'down', ready: 'Unknown' }));
    await create(PODS, pod({ name: 'hog', cpu: '3', nodeName: 'busy' }));
    await create(PODS, pod({ name: 'web', cpu: '1' }));
    await scheduler.start();

    const bound = await waitFor('web bound', async () => {
      const p = await c.registry.get(PODS, 'default', 'web');
      return nodeNameOf(p) ? p : undefined;
    });
    expect(nodeNameOf(bound)).toBe('idle');
    expect(condition(bound, 'PodScheduled')).toMatchObject({ status: 'True' });
    const events = await waitFor('Scheduled event', async () => ((await eventsFor('web')).length ? eventsFor('web') : undefined));
    expect(events[0]).toMatchObject({
      type: 'Normal',
      reason: 'Scheduled',
      message: 'Successfully assigned default/web to idle',
      source: { component: 'default-scheduler' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
      count: 1,
    });
  });

  it('reports FailedScheduling as kube-scheduler words it, then binds when a node that fits joins', async () => {
    await create(NODES, node({ name: 'a', cpu: '2' }));
    await create(NODES, node({ name: 'b', cpu: '2' }));
    await create(NODES, node({ name: 'c', ready: 'False' }));
    await create(PODS, pod({ name: 'big', cpu: '3' }));
    await scheduler.start();

    // kube-scheduler's words: the FitError, then why preemption does not help (the not-ready node: evictions cannot fix it).
    const message = '0/3 nodes are available: 1 node(s) were not ready, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..';
    const failed = await waitFor('PodScheduled False', async () => {
      const p = await c.registry.get(PODS, 'default', 'big');
      return condition(p, 'PodScheduled')?.status === 'False' ? p : undefined;
    });
    expect(condition(failed, 'PodScheduled')).toMatchObject({ reason: 'Unschedulable', message });
    const [event] = await eventsFor('big');
    expect(event).toMatchObject({ type: 'Warning', reason: 'FailedScheduling', message });

    await create(NODES, node({ name: 'large', cpu: '8' }));
    const bound = await waitFor('big bound', async () => {
      const p = await c.registry.get(PODS, 'default', 'big');
      return nodeNameOf(p) ? p : undefined;
    });
    expect(nodeNameOf(bound)).toBe('large');
  });

  it('counts pods it has just bound before the watch shows them (no overcommit)', async () => {
    await create(NODES, node({ name: 'only', cpu: '1' }));
    await create(PODS, pod({ name: 'p1', cpu: '600m' }));
    await create(PODS, pod({ name: 'p2', cpu: '600m' }));
    await scheduler.start();
    await waitFor('one bound, one unschedulable', async () => {
      const pods = (await c.registry.list(PODS, 'default')).items;
      const bound = pods.filter((p) => nodeNameOf(p) === 'only');
      const failed = pods.filter((p) => condition(p, 'PodScheduled')?.status === 'False');
      return bound.length === 1 && failed.length === 1;
    });
  });

  it('binds many pods while earlier bindings are in flight without overcommitting a node, spreading them', async () => {
    for (const name of ['a', 'b']) await create(NODES, node({ name, pods: '3' }));
    for (let i = 0; i < 8; i++) await create(PODS, pod({ name: `p${i}` }));
    await scheduler.start();
    await waitFor('6 bound, 2 unschedulable', async () => {
      const pods = (await c.registry.list(PODS, 'default')).items;
      return pods.filter((p) => nodeNameOf(p)).length === 6 && pods.filter((p) => condition(p, 'PodScheduled')?.status === 'False').length === 2;
    });
    const pods = (await c.registry.list(PODS, 'default')).items;
    expect(pods.filter((p) => nodeNameOf(p) === 'a')).toHaveLength(3);
    expect(pods.filter((p) => nodeNameOf(p) === 'b')).toHaveLength(3);
    expect(condition(pods.find((p) => !nodeNameOf(p)) as KubeObject, 'PodScheduled')).toMatchObject({ message: '0/2 nodes are available: 2 Too many pods. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..' });
  });

  it('a node\'s heartbeat leaves parked pods parked; more room on it moves them', async () => {
    await create(NODES, node({ name: 'a', cpu: '1' }));
    await create(PODS, pod({ name: 'big', cpu: '2' }));
    await scheduler.start();
    await waitFor('big parked', async () => condition(await c.registry.get(PODS, 'default', 'big'), 'PodScheduled')?.status === 'False');
    const attempts = () => scheduler.stats.decisions;
    const before = attempts();
    // A heartbeat: only the Ready condition's times change.
    const beat = async (cpu: string) => {
      const n = await c.registry.get(NODES, undefined, 'a');
      const status = n.status as Record<string, unknown>;
      const resources = { cpu, memory: '8Gi', pods: '110' };
      const conditions = [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString() }];
      await c.registry.updateStatus(NODES, undefined, 'a', { ...n, status: { ...status, capacity: resources, allocatable: resources, conditions } });
    };
    // A view on the scheduler's shared Node informer: its handlers run after the scheduler's, in the same dispatch.
    let seen = '';
    const view = objectInformer(c.store, NODES, { onUpdate: (_o, n) => (seen = n.metadata?.resourceVersion ?? '') });
    await view.start();
    for (let i = 0; i < 3; i++) await beat('1');
    const last = (await c.registry.get(NODES, undefined, 'a')).metadata?.resourceVersion;
    await waitFor('the heartbeats through the informer', () => seen === last);
    expect(scheduler.queueSizes).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    expect(attempts()).toBe(before);
    view.stop();
    await beat('4');
    await waitFor('big bound', async () => nodeNameOf(await c.registry.get(PODS, 'default', 'big')) === 'a');
  });
});

describe('pods/binding', () => {
  let c: TestCluster;
  beforeEach(async () => (c = await testCluster()));
  afterEach(() => c.close());

  it('binds once; a second binding and a binding of a deleting pod are 409 Conflict', async () => {
    const { uid: _u, ...metadata } = pod({ name: 'p' }).metadata ?? {};
    await c.registry.create(PODS, 'default', { ...pod({ name: 'p' }), metadata });
    const binding = (target: string) => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: target } });
    const bound = await c.registry.bindPod('default', 'p', binding('n1'));
    expect(nodeNameOf(bound)).toBe('n1');
    const again = await c.registry.bindPod('default', 'p', binding('n2')).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ApiError);
    expect((again as ApiError).code).toBe(409);
    expect((again as ApiError).message).toBe('Operation cannot be fulfilled on pods "p": pod p is already assigned to node "n1"');
    expect(nodeNameOf(await c.registry.get(PODS, 'default', 'p'))).toBe('n1');
  });

  it('refuses a Binding without a target name (422) and with another name (400)', async () => {
    const { uid: _u, ...metadata } = pod({ name: 'q' }).metadata ?? {};
    await c.registry.create(PODS, 'default', { ...pod({ name: 'q' }), metadata });
    const noTarget = await c.registry.bindPod('default', 'q', { kind: 'Binding', metadata: { name: 'q' }, target: {} }).catch((e: unknown) => e);
    expect((noTarget as ApiError).code).toBe(422);
    const otherName = await c.registry.bindPod('default', 'q', { kind: 'Binding', metadata: { name: 'x' }, target: { name: 'n' } }).catch((e: unknown) => e);
    expect((otherName as ApiError).code).toBe(400);
  });
});

describe('priority and preemption on the embedded store', () => {
  let c: TestCluster;
  let scheduler: Scheduler;
  const PRIORITY_CLASSES = findKind('scheduling.k8s.io/v1', 'PriorityClass') as ResourceInfo;

  beforeEach(async () => {
    // With admission: the Priority plugin resolves priorityClassName.
    c = await testCluster({ admission: {} });
    const events = new EventRecorder({ registry: c.registry, source: { component: 'default-scheduler' } });
    scheduler = new Scheduler({ store: c.store, registry: c.registry, events, queue: { initialBackoffMs: 20, maxBackoffMs: 100 } });
  });
  afterEach(async () => {
    await scheduler.stop();
    await c.close();
  });

  const create = (info: ResourceInfo, obj: KubeObject) => {
    const { uid: _uid, ...metadata } = obj.metadata ?? {};
    return c.registry.create(info, metadata.namespace, { ...obj, metadata });
  };
  const events = async (reason: string) => (await c.registry.list(EVENTS, 'default')).items.filter((e) => e.reason === reason);

  it('a pod of a higher PriorityClass preempts the fewest lower-priority pods on a full node, is nominated, and binds once they are gone', async () => {
    await create(PRIORITY_CLASSES, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
    await create(NODES, node({ name: 'a', cpu: '2' }));
    await create(NODES, node({ name: 'b', cpu: '2' }));
    // a: two pods of priority 0; b: one pod of priority 0 holding it all.
    await create(PODS, pod({ name: 'a1', cpu: '1', nodeName: 'a' }));
    await create(PODS, pod({ name: 'a2', cpu: '1', nodeName: 'a' }));
    await create(PODS, pod({ name: 'b1', cpu: '2', nodeName: 'b' }));
    // The node daemon's part: a pod being deleted goes away (grace 0 stands in for the containers stopping).
    const kubelet = objectInformer(c.store, PODS, {
      onUpdate: (_o, p) => {
        if (p.metadata?.deletionTimestamp) void c.registry.delete(PODS, 'default', p.metadata.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
      },
    });
    await kubelet.start();
    await scheduler.start();
    const vip = { ...pod({ name: 'vip', cpu: '2' }), spec: { ...(pod({ name: 'vip', cpu: '2' }).spec as object), priorityClassName: 'high' } };
    const created = await create(PODS, vip);
    expect((created.spec as Record<string, unknown>).priority).toBe(1000);

    const bound = await waitFor('vip bound', async () => {
      const p = await c.registry.get(PODS, 'default', 'vip');
      return nodeNameOf(p) ? p : undefined;
    });
    kubelet.stop();
    // b needed one victim, a two: b1 went.
    expect(nodeNameOf(bound)).toBe('b');
    const left = (await c.registry.list(PODS, 'default')).items.map((p) => p.metadata?.name).sort();
    expect(left).toEqual(['a1', 'a2', 'vip']);
    const [preempted] = await events('Preempted');
    expect(preempted).toMatchObject({ type: 'Normal', involvedObject: { name: 'b1' }, message: `Preempted by pod ${created.metadata?.uid ?? ''} on node b`, source: { component: 'default-scheduler' } });
    const [failed] = await events('FailedScheduling');
    expect(failed?.message).toBe('0/2 nodes are available: 2 Insufficient cpu.');
    expect(scheduler.stats.preemptions).toBe(1);
  });

  it('words a failed preemption after the FitError, and keeps lower pods when the pod may not preempt', async () => {
    await create(NODES, node({ name: 'a', cpu: '1' }));
    await create(PODS, pod({ name: 'same', cpu: '1', nodeName: 'a' }));
    await scheduler.start();
    await create(PODS, pod({ name: 'peer', cpu: '1' }));
    const failed = await waitFor('peer unschedulable', async () => condition(await c.registry.get(PODS, 'default', 'peer'), 'PodScheduled')?.message);
    expect(failed).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..');
    expect((await c.registry.get(PODS, 'default', 'same')).metadata?.deletionTimestamp).toBeUndefined();
  });
});
