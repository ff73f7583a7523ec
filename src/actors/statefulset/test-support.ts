/**
 * Fixtures for the StatefulSet controller tests: the replica tests' memory store and Registry,
 * a StatefulSet builder, and the node-daemon stand-ins the DaemonSet tests use (mark a pod
 * running and ready, confirm graceful deletions, set a phase), since no kubelet runs here.
 */
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { NS, type Fixture } from '../replicaset/test-support.ts';
import { CLAIMS, CONTROLLER_REVISIONS, PODS, STATEFUL_SETS } from './kinds.ts';

export { fixture, NS, type Fixture } from '../replicaset/test-support.ts';
export { confirmDeletions, live, markReady, podsIn, setPhase, terminating } from '../daemonset/test-support.ts';

export interface StatefulSetShape {
  replicas?: number;
  image?: string;
  parallel?: boolean;
  start?: number;
  claims?: string[];
  updateStrategy?: JsonObject;
  minReadySeconds?: number;
  retention?: { whenDeleted?: 'Retain' | 'Delete'; whenScaled?: 'Retain' | 'Delete' };
  revisionHistoryLimit?: number;
}

/** A StatefulSet `name` with `serviceName` = its name, pods labelled `app: <name>`. */
export function statefulSet(name: string, shape: StatefulSetShape = {}): KubeObject {
  const labels = { app: name };
  const container: JsonObject = { name: 'app', image: shape.image ?? 'busybox' };
  if (shape.claims?.length) container.volumeMounts = shape.claims.map((c) => ({ name: c, mountPath: `/${c}` }));
  const spec: JsonObject = {
    serviceName: name,
    replicas: shape.replicas ?? 3,
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [container] } },
  };
  if (shape.parallel) spec.podManagementPolicy = 'Parallel';
  if (shape.start !== undefined) spec.ordinals = { start: shape.start };
  if (shape.updateStrategy) spec.updateStrategy = shape.updateStrategy;
  if (shape.minReadySeconds !== undefined) spec.minReadySeconds = shape.minReadySeconds;
  if (shape.revisionHistoryLimit !== undefined) spec.revisionHistoryLimit = shape.revisionHistoryLimit;
  if (shape.retention) spec.persistentVolumeClaimRetentionPolicy = shape.retention;
  if (shape.claims?.length) {
    spec.volumeClaimTemplates = shape.claims.map((c) => ({ metadata: { name: c }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }));
  }
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: NS }, spec };
}

export async function createStatefulSet(f: Fixture, obj: KubeObject): Promise<KubeObject> {
  return f.registry.create(STATEFUL_SETS, NS, obj);
}

export async function claimsIn(f: Fixture): Promise<KubeObject[]> {
  return (await f.registry.list(CLAIMS, NS)).items;
}

export async function revisionsIn(f: Fixture): Promise<KubeObject[]> {
  return (await f.registry.list(CONTROLLER_REVISIONS, NS)).items;
}

export async function podNamed(f: Fixture, name: string): Promise<KubeObject | undefined> {
  return (await f.registry.list(PODS, NS)).items.find((p) => p.metadata?.name === name);
}
