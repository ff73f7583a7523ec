/**
 * Reading ConfigMaps, Secrets, Services, claims and volumes from the node's ClusterCache the way
 * the kubelet reads them from its watch-based managers: a missing object is a typed not-found
 * with the kubelet's words (`configmap "x" not found`), and a kind not listed yet is an error
 * too (`failed to sync configmap cache…`), never an empty answer that would look like "absent".
 */
import type { WatchableResource } from '../src/net/messages.ts';
import type { JsonObject } from '../src/api/object.ts';

/** The part of ClusterCache that pods' volumes and env read. */
export interface ClusterObjects {
  synced(resource: WatchableResource): boolean;
  /** Resolves once `resource` is synced (true) or after `timeoutMs` (false). */
  whenSynced?(resource: WatchableResource, timeoutMs: number): Promise<boolean>;
  get<T = JsonObject>(resource: WatchableResource, key: string): T | undefined;
  list<T = JsonObject>(resource: WatchableResource): T[];
}

/** How the kubelet names each kind in its not-found errors (the managers' group resource). */
const SINGULAR: Partial<Record<WatchableResource, string>> = {
  configmaps: 'configmap',
  secrets: 'secret',
  persistentvolumeclaims: 'persistentvolumeclaims',
  persistentvolumes: 'persistentvolumes',
  services: 'services',
};

/** The object does not exist (`optional` references skip it). */
export class ObjectNotFoundError extends Error {
  constructor(
    readonly resource: WatchableResource,
    readonly objectName: string,
  ) {
    super(`${SINGULAR[resource] ?? resource} "${objectName}" not found`);
    this.name = 'ObjectNotFoundError';
  }
}

/** The node has not listed this kind yet: whether the object exists is not known. */
export class CacheNotSyncedError extends Error {
  constructor(readonly resource: WatchableResource) {
    super(`failed to sync ${SINGULAR[resource] ?? resource} cache: timed out waiting for the condition`);
    this.name = 'CacheNotSyncedError';
  }
}

/** The object `namespace/name` (or `name` for cluster-scoped kinds); throws the two errors above. */
export function getObject(objects: ClusterObjects | undefined, resource: WatchableResource, namespace: string | undefined, name: string): JsonObject {
  if (!objects?.synced(resource)) throw new CacheNotSyncedError(resource);
  const obj = objects.get(resource, namespace ? `${namespace}/${name}` : name);
  if (!obj) throw new ObjectNotFoundError(resource, name);
  return obj;
}
