/**
 * Checks every write body passes before anything else runs: its type meta matches the URL's
 * resource, its namespace and name agree with the URL. Missing type meta and namespace are
 * filled from the URL, as Kubernetes' decoder and REST handlers do.
 */
import { apiVersionOf, type ResourceInfo } from '../api/kinds.ts';
import type { KubeObject } from '../api/object.ts';
import { isRecord } from '../api/object.ts';
import { ApiError } from '../api/status.ts';

/** A copy of `body` with apiVersion/kind filled in; 400 when they name another kind. */
export function withTypeMeta(info: ResourceInfo, body: KubeObject): KubeObject {
  // Type meta of another type: the decoder's 400 (`kind: {toString: true}` was a 500 when named in the message, found by the API fuzzer).
  for (const field of ['apiVersion', 'kind'] as const) {
    const value: unknown = body[field];
    if (value !== undefined && value !== null && typeof value !== 'string') throw ApiError.badRequest(`json: cannot unmarshal ${jsonType(value)} into Go struct field .${field} of type string`);
  }
  const apiVersion = apiVersionOf(info);
  // Type meta first: the order kubectl and people expect when reading the JSON.
  const out: KubeObject = { apiVersion: body.apiVersion || apiVersion, kind: body.kind || info.kind, ...structuredClone(body) };
  if (out.apiVersion === undefined || out.apiVersion === null || out.apiVersion === '') out.apiVersion = apiVersion;
  if (out.kind === undefined || out.kind === null || out.kind === '') out.kind = info.kind;
  if (out.apiVersion !== apiVersion || out.kind !== info.kind) {
    throw ApiError.badRequest(`${String(out.kind)} in version ${JSON.stringify(version(out.apiVersion))} cannot be handled as a ${info.kind}: no kind ${JSON.stringify(out.kind)} is registered for version ${JSON.stringify(out.apiVersion)} at this endpoint`);
  }
  if (out.metadata !== undefined && !isRecord(out.metadata)) throw ApiError.badRequest('metadata must be an object');
  out.metadata = { ...(out.metadata ?? {}) };
  checkMetadataStrings(out.metadata as Record<string, unknown>);
  return out;
}

/** The ObjectMeta strings every step before validation reads (to name, place and version the object). */
const METADATA_STRINGS = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'selfLink'] as const;

/**
 * A 400 in the words of Kubernetes' decoder when one of them is not a string (null is absent):
 * the steps before validation would otherwise trip on it (`generateName: {}` was a 500, found by
 * the API fuzzer).
 */
function checkMetadataStrings(meta: Record<string, unknown>): void {
  for (const field of METADATA_STRINGS) {
    const value = meta[field];
    if (value === undefined || value === null || typeof value === 'string') continue;
    throw ApiError.badRequest(`json: cannot unmarshal ${jsonType(value)} into Go struct field ObjectMeta.metadata.${field} of type string`);
  }
}

function version(apiVersion: unknown): string {
  const text = String(apiVersion);
  return text.includes('/') ? text.slice(text.indexOf('/') + 1) : text;
}

/**
 * Sets or checks metadata.namespace against the URL's namespace (in place). Cluster-scoped kinds
 * lose any namespace, as Kubernetes clears it.
 */
export function checkNamespace(info: ResourceInfo, obj: KubeObject, namespace: string | undefined): void {
  const meta = obj.metadata ?? (obj.metadata = {});
  if (!info.namespaced) {
    delete meta.namespace;
    return;
  }
  if (namespace === undefined) throw ApiError.badRequest('a namespaced resource must be written through its namespace path');
  if (meta.namespace === undefined || meta.namespace === '') meta.namespace = namespace;
  else if (meta.namespace !== namespace) {
    throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

/** Sets or checks metadata.name against the URL's name (update and patch bodies). */
export function checkName(obj: KubeObject, name: string): void {
  const meta = obj.metadata ?? (obj.metadata = {});
  if (meta.name === undefined || meta.name === '') meta.name = name;
  else if (meta.name !== name) {
    throw ApiError.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  }
}

/** The JSON type Go's decoder names in its errors. */
function jsonType(value: unknown): string {
  return Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value;
}
