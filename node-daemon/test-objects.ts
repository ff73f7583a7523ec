/** For tests: an in-memory ClusterObjects (what the node's ClusterCache offers pods' volumes and env). */
import type { JsonObject } from '../src/api/object.ts';
import type { WatchableResource } from '../src/net/messages.ts';
import type { ClusterObjects } from './cluster-objects.ts';

export class TestObjects implements ClusterObjects {
  private readonly maps = new Map<WatchableResource, Map<string, JsonObject>>();
  private readonly unsynced = new Set<WatchableResource>();

  constructor(objects: Partial<Record<WatchableResource, JsonObject[]>> = {}) {
    for (const [resource, list] of Object.entries(objects) as [WatchableResource, JsonObject[]][]) for (const o of list) this.put(resource, o);
  }

  /** Add or replace an object. */
  put(resource: WatchableResource, obj: JsonObject): this {
    const meta = obj.metadata as { namespace?: string; name: string };
    const map = this.maps.get(resource) ?? new Map<string, JsonObject>();
    this.maps.set(resource, map);
    map.set(meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name, obj);
    return this;
  }

  remove(resource: WatchableResource, key: string): this {
    this.maps.get(resource)?.delete(key);
    return this;
  }

  /** Pretend `resource` has not been listed yet. */
  unsync(resource: WatchableResource): this {
    this.unsynced.add(resource);
    return this;
  }

  synced(resource: WatchableResource): boolean {
    return !this.unsynced.has(resource);
  }

  get<T = JsonObject>(resource: WatchableResource, key: string): T | undefined {
    return this.maps.get(resource)?.get(key) as T | undefined;
  }

  list<T = JsonObject>(resource: WatchableResource): T[] {
    return [...(this.maps.get(resource)?.values() ?? [])] as T[];
  }
}

/** A ConfigMap object. */
export function configMap(namespace: string, name: string, data: Record<string, string>, binaryData?: Record<string, string>): JsonObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data, ...(binaryData ? { binaryData } : {}) };
}

/** A Secret object; `data` given as plain text, stored base64 as the API stores it. */
export function secret(namespace: string, name: string, data: Record<string, string>): JsonObject {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name }, type: 'Opaque', data: encoded };
}
