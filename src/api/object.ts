/**
 * The loose shape of an API object as it arrives in JSON, and the few helpers the object-model
 * functions share to read and fill it without `any`.
 */

export type JsonObject = Record<string, unknown>;

/** The metadata fields the object model reads or writes; anything else is carried along. */
export interface ObjectMetaLike {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: JsonObject[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

/** Any API object: type meta, metadata, and whatever the kind adds (spec, status, data, ...). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
  [field: string]: unknown;
}

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `parent[key]` as an object, creating `{}` there when absent (or not an object). */
export function childRecord(parent: JsonObject, key: string): JsonObject {
  const value = parent[key];
  if (isRecord(value)) return value;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

/** `parent[key]` when it is an object, else undefined. */
export function optionalRecord(parent: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = parent?.[key];
  return isRecord(value) ? value : undefined;
}

/** `parent[key]` filtered to its object elements; [] when absent. */
export function recordList(parent: JsonObject | undefined, key: string): JsonObject[] {
  const value = parent?.[key];
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Sets `obj[key] = value` only when the field is absent (undefined or null), as Go defaulting does. */
export function setDefault(obj: JsonObject, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}
