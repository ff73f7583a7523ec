/**
 * How API objects are stored: JSON without `metadata.resourceVersion` (the store's modRevision is
 * the resourceVersion, stamped back in on every read, as Kubernetes' etcd3 storage does).
 */
import type { KeyValue } from '../store/types.ts';
import type { KubeObject } from '../api/object.ts';
import { isRecord } from '../api/object.ts';
import { ApiError } from '../api/status.ts';

/** The object stored in `kv`, with resourceVersion = its modRevision. */
export function decodeObject(kv: KeyValue): KubeObject {
  const parsed: unknown = JSON.parse(kv.value);
  if (!isRecord(parsed)) throw ApiError.internal(`stored value at ${kv.key} is not an object`);
  return withResourceVersion(parsed as KubeObject, kv.modRevision);
}

/** Sets metadata.resourceVersion (in place) and returns the object. */
export function withResourceVersion<T extends KubeObject>(obj: T, revision: number): T {
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(revision) };
  return obj;
}

/** The stored form of an object: its JSON without resourceVersion. */
export function encodeObject(obj: KubeObject): string {
  const { resourceVersion: _ignored, ...metadata } = obj.metadata ?? {};
  return JSON.stringify({ ...obj, metadata });
}

/**
 * Parses a resourceVersion given by a client; 400 unless it is a non-negative integer, as
 * Kubernetes' etcd3 versioner requires. One past what a revision can be (Kubernetes' uint64;
 * here a safe integer, beyond which numbers lose digits) is malformed too, not a revision from
 * the future to wait for (`99999999999999999999999` was a 504 "Too large resource version:
 * 1e+23", found by the API fuzzer).
 */
export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(Number(rv))) throw ApiError.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}
