/**
 * Fixtures for the PersistentVolume controller tests: a Registry over a real embedded store, the
 * controller on it (no periodic resync unless asked), recorded Events, and helpers that make
 * claims, volumes, nodes and pods and play the scheduler and the node (selected-node, the node's
 * finalizer on a local volume) through the Registry.
 */
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { ANN_LOCAL_VOLUMES_DIR, ANN_SELECTED_NODE, LOCAL_VOLUME_FINALIZER } from '../../api/storage/names.ts';
import { retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { testCluster, type TestCluster } from '../../registry/test-support.ts';
import { RecordingEvents } from '../replicaset/test-support.ts';
import { PersistentVolumeController, type PersistentVolumeControllerOptions } from './controller.ts';
import { PVCS, PVS, STORAGE_CLASSES } from './effects.ts';

export { waitFor } from '../../registry/test-support.ts';
export { PVCS, PVS, STORAGE_CLASSES };

export const NS = 'default';
export const PODS_INFO = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;

export interface StorageFixture extends TestCluster {
  controller: PersistentVolumeController;
  events: RecordingEvents;
  claim(name: string, spec: JsonObject, meta?: JsonObject): Promise<KubeObject>;
  volume(name: string, spec: JsonObject, meta?: JsonObject): Promise<KubeObject>;
  storageClass(name: string, fields: JsonObject, annotations?: Record<string, string>): Promise<KubeObject>;
  /** A Node whose daemon keeps local volumes under `dir`. */
  node(name: string, dir?: string): Promise<KubeObject>;
  /** A pod in NS using the claims (scheduled on `node` when given). */
  pod(name: string, claims: string[], node?: string): Promise<KubeObject>;
  getClaim(name: string): Promise<KubeObject | undefined>;
  getVolume(name: string): Promise<KubeObject | undefined>;
  /** What the scheduler does for a WaitForFirstConsumer claim: the selected-node annotation. */
  selectNode(claim: string, node: string): Promise<void>;
  /** What the node does: its finalizer on (directory made) or off (directory gone). */
  nodeFinalizer(volume: string, present: boolean): Promise<void>;
  reasons(name: string): string[];
}

export async function storageFixture(opts: Partial<PersistentVolumeControllerOptions> = {}): Promise<StorageFixture> {
  const cluster = await testCluster();
  const events = new RecordingEvents();
  const controller = new PersistentVolumeController({ store: cluster.store, registry: cluster.registry, events, resyncMs: 0, ...opts });
  await controller.start();
  const { registry } = cluster;
  const get = async (info: ResourceInfo, ns: string | undefined, name: string) => registry.get(info, ns, name).catch(() => undefined);
  const patchMeta = (info: ResourceInfo, ns: string | undefined, name: string, change: (o: KubeObject) => KubeObject) =>
    retryOnConflict(async () => {
      const current = await registry.get(info, ns, name);
      await registry.update(info, ns, name, change(current));
    });
  return {
    ...cluster,
    controller,
    events,
    claim: (name, spec, meta = {}) =>
      registry.create(PVCS, NS, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, ...meta }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } }),
    volume: (name, spec, meta = {}) =>
      registry.create(PVS, undefined, {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, ...meta },
        spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${name}` }, ...spec },
      }),
    storageClass: (name, fields, annotations) =>
      registry.create(STORAGE_CLASSES, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, ...(annotations ? { annotations } : {}) }, ...fields }),
    node: (name, dir) =>
      registry.create(NODES, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { 'kubernetes.io/hostname': name }, ...(dir ? { annotations: { [ANN_LOCAL_VOLUMES_DIR]: dir } } : {}) },
      }),
    pod: (name, claims, node) =>
      registry.create(PODS_INFO, NS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: {
          ...(node ? { nodeName: node } : {}),
          containers: [{ name: 'c', image: 'busybox' }],
          volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })),
        },
      }),
    getClaim: (name) => get(PVCS, NS, name),
    getVolume: (name) => get(PVS, undefined, name),
    selectNode: (claim, node) =>
      patchMeta(PVCS, NS, claim, (c) => ({ ...c, metadata: { ...c.metadata, annotations: { ...c.metadata?.annotations, [ANN_SELECTED_NODE]: node } } })),
    nodeFinalizer: (volume, present) =>
      patchMeta(PVS, undefined, volume, (v) => {
        const finalizers = (v.metadata?.finalizers ?? []).filter((f) => f !== LOCAL_VOLUME_FINALIZER);
        return { ...v, metadata: { ...v.metadata, finalizers: present ? [...finalizers, LOCAL_VOLUME_FINALIZER] : finalizers } };
      }),
    reasons: (name) => events.recorded.filter((e) => e.ref.name === name).map((e) => e.reason),
    async close() {
      controller.stop();
      await cluster.close();
    },
  };
}
