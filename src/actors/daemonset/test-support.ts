/**
 * Fixtures for the DaemonSet controller tests: the replica tests' memory store and Registry,
 * DaemonSet and Node builders, and a stand-in for the node daemons (confirm graceful deletions,
 * report pods ready), since no kubelet runs here.
 */
import { applyDefaults } from '../../api/defaults.ts';
import { objectKey, prepareForCreate } from '../../api/metadata.ts';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { decodeObject, encodeObject } from '../../registry/codec.ts';
import { isNotFound } from '../../registry/retry-on-conflict.ts';
import { NS, type Fixture } from '../replicaset/test-support.ts';
import { DAEMON_SETS, NODES, PODS } from './kinds.ts';

export { fixture, NS, type Fixture } from '../replicaset/test-support.ts';

/** The status Kubernetes stores for a new DaemonSet (the Go zero values of the required fields). */
const ZERO_STATUS = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };

/**
 * Creates a DaemonSet. Today `Registry.create` rejects it: a new object's status is reset to `{}`
 * (src/api/metadata.ts initialStatus) and the schema requires the four counters Kubernetes
 * stores as zeros. Until that is fixed this stores the object as the Registry would (defaults,
 * prepareForCreate) with the zero status; every later write goes through the Registry.
 */
export async function createDaemonSet(f: Fixture, obj: KubeObject): Promise<KubeObject> {
  const prepared = prepareForCreate(DAEMON_SETS, applyDefaults(DAEMON_SETS, { ...obj, apiVersion: 'apps/v1', kind: 'DaemonSet' }), f.clock(), { namespace: NS });
  prepared.status = { ...ZERO_STATUS };
  return decodeObject(await f.store.create(objectKey(DAEMON_SETS, NS, prepared.metadata?.name ?? ''), encodeObject(prepared)));
}

export interface DaemonSetShape {
  image?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: JsonObject[];
  affinity?: JsonObject;
  updateStrategy?: JsonObject;
  minReadySeconds?: number;
}

export function daemonSet(name: string, shape: DaemonSetShape = {}): KubeObject {
  const labels = { app: name };
  const podSpec: JsonObject = { containers: [{ name: 'daemon', image: shape.image ?? 'busybox' }] };
  if (shape.nodeSelector) podSpec.nodeSelector = shape.nodeSelector;
  if (shape.tolerations) podSpec.tolerations = shape.tolerations;
  if (shape.affinity) podSpec.affinity = shape.affinity;
  const spec: JsonObject = { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } };
  if (shape.updateStrategy) spec.updateStrategy = shape.updateStrategy;
  if (shape.minReadySeconds !== undefined) spec.minReadySeconds = shape.minReadySeconds;
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: NS }, spec };
}

/** Creates a Node through the Registry with a Ready=True condition, as a joined daemon reports. */
export async function createNode(f: Fixture, name: string, labels: Record<string, string> = {}, taints: JsonObject[] = []): Promise<KubeObject> {
  return f.registry.create(NODES, undefined, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: taints.length > 0 ? { taints } : {},
    status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  });
}

/** Read-modify-write of a Node's metadata/spec. */
export async function changeNode(f: Fixture, name: string, change: (node: KubeObject) => KubeObject): Promise<void> {
  await f.registry.update(NODES, undefined, name, change(await f.registry.get(NODES, undefined, name)));
}

export async function podsIn(f: Fixture): Promise<KubeObject[]> {
  return (await f.registry.list(PODS, NS)).items;
}

export const live = (pods: readonly KubeObject[]): KubeObject[] => pods.filter((p) => !p.metadata?.deletionTimestamp);
export const terminating = (pods: readonly KubeObject[]): KubeObject[] => pods.filter((p) => p.metadata?.deletionTimestamp);
export const nodeOf = (pod: KubeObject): string => String((pod.spec as JsonObject | undefined)?.nodeName ?? '');

/** Node daemon stand-in: confirms every graceful deletion (the pods' containers have stopped). */
export async function confirmDeletions(f: Fixture): Promise<number> {
  let n = 0;
  for (const pod of terminating(await podsIn(f))) {
    try {
      await f.registry.delete(PODS, NS, pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } });
      n++;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return n;
}

/** Node daemon stand-in: the pod runs and is Ready (since `since`). */
export async function markReady(f: Fixture, pod: KubeObject, since = '2024-01-01T00:00:00Z'): Promise<void> {
  const current = await f.registry.get(PODS, NS, pod.metadata?.name ?? '');
  await f.registry.updateStatus(PODS, NS, pod.metadata?.name ?? '', {
    ...current,
    status: { ...(current.status as JsonObject), phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] },
  });
}

export async function setPhase(f: Fixture, pod: KubeObject, phase: string): Promise<void> {
  const current = await f.registry.get(PODS, NS, pod.metadata?.name ?? '');
  await f.registry.updateStatus(PODS, NS, pod.metadata?.name ?? '', { ...current, status: { ...(current.status as JsonObject), phase } });
}
