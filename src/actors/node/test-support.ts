/** Fixtures for the node controller's tests: a real embedded store, pods in given states, counted pod status writes. */
import { vi } from 'vitest';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { EventRecorder } from '../../registry/event-recorder.ts';
import { testCluster, type TestCluster } from '../../registry/test-support.ts';
import { InspectionBus, type TransitionRecord } from '../inspection.ts';

export const PODS = findKind('v1', 'Pod') as ResourceInfo;
export const NODES = findKind('v1', 'Node') as ResourceInfo;
export const EVENTS = findKind('v1', 'Event') as ResourceInfo;
export const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;
export const NS = 'default';

export interface NodeFixture extends TestCluster {
  events: EventRecorder;
  bus: InspectionBus;
  transitions: TransitionRecord[];
  /** Every pods/status write through the Registry, in order (`namespace/name` and the phase written). */
  podStatusWrites: { pod: string; phase: unknown }[];
}

export async function nodeFixture(): Promise<NodeFixture> {
  const cluster = await testCluster();
  const events = new EventRecorder({ registry: cluster.registry, source: { component: 'test' } });
  const bus = new InspectionBus();
  const transitions: TransitionRecord[] = [];
  bus.subscribe((rec) => transitions.push(rec));
  const podStatusWrites: NodeFixture['podStatusWrites'] = [];
  const updateStatus = cluster.registry.updateStatus.bind(cluster.registry);
  vi.spyOn(cluster.registry, 'updateStatus').mockImplementation((info, namespace, name, obj, opts) => {
    if (info.kind === 'Pod') podStatusWrites.push({ pod: `${namespace}/${name}`, phase: (obj.status as { phase?: unknown } | undefined)?.phase });
    return updateStatus(info, namespace, name, obj, opts);
  });
  return { ...cluster, events, bus, transitions, podStatusWrites };
}

const T = '2024-06-01T00:00:00Z';

/** Status of a pod whose one container `app` runs. */
export const RUNNING = {
  phase: 'Running',
  startTime: T,
  podIP: '10.244.1.5',
  conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: T }],
  containerStatuses: [
    { name: 'app', image: 'busybox', imageID: '', ready: true, restartCount: 3, started: true, containerID: 'docker://abc', state: { running: { startedAt: T } }, lastState: {} },
  ],
};

/** Creates pod `name` bound to `nodeName` and, given one, writes its status (as its node would have). */
export async function createPod(f: NodeFixture, name: string, nodeName: string, status?: Record<string, unknown>, restartPolicy = 'Always'): Promise<KubeObject> {
  const pod = await f.registry.create(PODS, NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName, restartPolicy, containers: [{ name: 'app', image: 'busybox' }] },
  });
  if (!status) return pod;
  const written = await f.registry.updateStatus(PODS, NS, name, { ...pod, status });
  f.podStatusWrites.length = 0;
  return written;
}

export async function podStatus(f: NodeFixture, name: string): Promise<Record<string, unknown>> {
  return (await f.registry.get(PODS, NS, name)).status as Record<string, unknown>;
}

/** The Events recorded about pod `name`, as `reason: message`. */
export async function podEvents(f: NodeFixture, name: string): Promise<string[]> {
  const events = (await f.registry.list(EVENTS, NS)).items as (KubeObject & { involvedObject?: { kind?: string; name?: string }; reason?: string; message?: string })[];
  return events.filter((e) => e.involvedObject?.kind === 'Pod' && e.involvedObject.name === name).map((e) => `${e.reason}: ${e.message}`);
}
