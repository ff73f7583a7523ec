/**
 * Allocation records: one store key per allocated cluster IP and per allocated node port, whose
 * value names the Service holding it — Kubernetes 1.33's IPAddress objects, kept as plain store
 * keys. A key is created only if absent, in the same transaction as the Service write, so two
 * masters (or two requests) can never hold one value, and nothing is left allocated when the
 * Service write fails.
 */
import type { KubeObject } from '../../api/object.ts';
import type { KeyValue } from '../../store/types.ts';

export const ALLOCATIONS_PREFIX = '/registry/kactus.io/serviceallocations/';
export const CLUSTER_IP_PREFIX = `${ALLOCATIONS_PREFIX}clusterips/`;
export const NODE_PORT_PREFIX = `${ALLOCATIONS_PREFIX}nodeports/`;

/** The Service a record belongs to (uid: a re-created Service of the same name is another owner). */
export interface AllocationOwner {
  namespace: string;
  name: string;
  uid: string;
}

export const clusterIPKey = (ip: string): string => `${CLUSTER_IP_PREFIX}${ip}`;
export const nodePortKey = (port: number): string => `${NODE_PORT_PREFIX}${port}`;

export function ownerOf(svc: KubeObject): AllocationOwner {
  return { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '', uid: svc.metadata?.uid ?? '' };
}

export function encodeOwner(owner: AllocationOwner): string {
  return JSON.stringify({ namespace: owner.namespace, name: owner.name, uid: owner.uid });
}

/** The owner a record names; undefined for a value that is not a record (never written by kactus). */
export function decodeOwner(kv: Pick<KeyValue, 'value'>): AllocationOwner | undefined {
  try {
    const v = JSON.parse(kv.value) as Partial<AllocationOwner>;
    if (typeof v.namespace === 'string' && typeof v.name === 'string' && typeof v.uid === 'string') return { namespace: v.namespace, name: v.name, uid: v.uid };
  } catch {
    // not JSON: not ours
  }
  return undefined;
}

/** What a record key allocates: `{ip}` or `{port}`; undefined for a key outside both prefixes. */
export function parseRecordKey(key: string): { ip: string } | { port: number } | undefined {
  if (key.startsWith(CLUSTER_IP_PREFIX)) return { ip: key.slice(CLUSTER_IP_PREFIX.length) };
  if (key.startsWith(NODE_PORT_PREFIX)) {
    const port = Number(key.slice(NODE_PORT_PREFIX.length));
    return Number.isInteger(port) ? { port } : undefined;
  }
  return undefined;
}

export const sameOwner = (a: AllocationOwner | undefined, b: AllocationOwner): boolean => a !== undefined && a.uid === b.uid && a.namespace === b.namespace && a.name === b.name;

/** `default/web`. */
export const ownerName = (o: AllocationOwner): string => `${o.namespace}/${o.name}`;
