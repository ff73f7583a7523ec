import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import { testCluster, type TestCluster } from '../../registry/test-support.ts';
import { FakePodControl, RealPodControl } from './pod-control.ts';

const REPLICA_SETS = findKind('apps/v1', 'ReplicaSet') as ResourceInfo;
const owner: KubeObject = { metadata: { name: 'web', namespace: 'default', uid: 'rs-uid' } };
const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

describe('RealPodControl', () => {
  let cluster: TestCluster;
  let events: { kind: string; reason: string; message: string }[];
  let control: RealPodControl;

  beforeEach(async () => {
    cluster = await testCluster();
    events = [];
    const sink: EventSink = { record: async (ref, _type, reason, message) => void events.push({ kind: ref.kind, reason, message }) };
    control = new RealPodControl(cluster.registry, sink, REPLICA_SETS, { component: 'replicaset-controller' });
  });
  afterEach(() => cluster.close());

  it('creates and deletes pods with the Events Kubernetes records on the owner', async () => {
    const created = await control.createPod(owner, pod('a'));
    expect(created.metadata?.uid).toBeTruthy();
    expect(await control.deletePod(owner, created, { gracePeriodSeconds: 0 })).toBe(true);
    expect(await control.deletePod(owner, created)).toBe(false); // gone already: no Event
    expect(events).toEqual([
      { kind: 'ReplicaSet', reason: 'SuccessfulCreate', message: 'Created pod: a' },
      { kind: 'ReplicaSet', reason: 'SuccessfulDelete', message: 'Deleted pod: a' },
    ]);
  });

  it('records FailedCreate with the API\'s reason and throws', async () => {
    const bad = pod('Not_A_Name');
    await expect(control.createPod(owner, bad)).rejects.toThrow(/Invalid/);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'FailedCreate' });
    expect(events[0]!.message).toMatch(/^Error creating: .*Not_A_Name/);
  });
});

describe('FakePodControl', () => {
  it('counts creates and deletes, and fails when told to', async () => {
    const fake = new FakePodControl();
    await fake.createPod(owner, { metadata: { generateName: 'web-' } });
    await fake.deletePod(owner, pod('x'), { gracePeriodSeconds: 0 });
    expect(fake.created.map((c) => c.pod.metadata?.name)).toEqual(['web-1']);
    expect(fake.deleted).toEqual([{ owner: 'web', pod: 'x', gracePeriodSeconds: 0 }]);
    fake.createError = new Error('quota');
    await expect(fake.createPod(owner, pod('y'))).rejects.toThrow('quota');
  });
});
