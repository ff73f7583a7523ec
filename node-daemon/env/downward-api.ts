/**
 * The downward API: a pod's own fields and its containers' resources as strings, for env
 * (`valueFrom.fieldRef`, `valueFrom.resourceFieldRef`) and for downwardAPI/projected volume
 * files. Pure; the texts of values and errors are the kubelet's (pkg/fieldpath,
 * pkg/api/v1/resource, pkg/kubelet/kubelet_pods.go).
 */
import { isRecord, optionalRecord, recordList, type JsonObject } from '../../src/api/object.ts';
import { parseQuantity } from '../../src/api/quantity.ts';

/** A downward API reference that cannot be resolved (the message is the kubelet's). */
export class DownwardApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownwardApiError';
  }
}

/** What only the node knows about a pod: its addresses. */
export interface PodRuntimeFields {
  podIP?: string;
  hostIP?: string;
}

function metadataOf(pod: JsonObject): JsonObject {
  return optionalRecord(pod, 'metadata') ?? {};
}

function stringMap(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Go's `strconv.Quote`: what `%q` prints for a label or annotation value. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp === 7) out += '\\a';
    else if (cp === 8) out += '\\b';
    else if (cp === 12) out += '\\f';
    else if (cp === 10) out += '\\n';
    else if (cp === 13) out += '\\r';
    else if (cp === 9) out += '\\t';
    else if (cp === 11) out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x80 || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** `key="value"` lines sorted by key, as `fieldpath.FormatMap` (labels, annotations). */
export function formatMap(m: Record<string, string>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${goQuote(m[k]!)}`)
    .join('\n');
}

/** `metadata.labels['app']` → ['metadata.labels', 'app']; undefined when not subscripted. */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

/** `fieldpath.ExtractFieldPathAsString`: the metadata fields (what a downwardAPI volume file may name). */
export function metadataField(pod: JsonObject, fieldPath: string): string {
  const meta = metadataOf(pod);
  const sub = splitSubscript(fieldPath);
  if (sub) {
    const [path, key] = sub;
    if (path === 'metadata.annotations') return stringMap(meta.annotations)[key] ?? '';
    if (path === 'metadata.labels') return stringMap(meta.labels)[key] ?? '';
    throw new DownwardApiError(`fieldPath "${fieldPath}" does not support subscript`);
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(stringMap(meta.annotations));
    case 'metadata.labels':
      return formatMap(stringMap(meta.labels));
    case 'metadata.name':
    case 'metadata.namespace':
    case 'metadata.uid': {
      const v = meta[fieldPath.slice('metadata.'.length)];
      return typeof v === 'string' ? v : '';
    }
    default:
      throw new DownwardApiError(`unsupported fieldPath: ${fieldPath}`);
  }
}

const ENV_FIELD_LABELS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid',
  'spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName',
  'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);

/** An env var's `valueFrom.fieldRef` (the kubelet's `podFieldSelectorRuntimeValue`). */
export function envFieldValue(pod: JsonObject, fieldRef: JsonObject, runtime: PodRuntimeFields): string {
  const version = typeof fieldRef.apiVersion === 'string' && fieldRef.apiVersion !== '' ? fieldRef.apiVersion : 'v1';
  if (version !== 'v1') throw new DownwardApiError(`unsupported pod version: ${version}`);
  let fieldPath = typeof fieldRef.fieldPath === 'string' ? fieldRef.fieldPath : '';
  const sub = splitSubscript(fieldPath);
  if (sub) {
    if (sub[0] !== 'metadata.annotations' && sub[0] !== 'metadata.labels') throw new DownwardApiError(`field label does not support subscript: ${fieldPath}`);
  } else if (fieldPath === 'spec.host') {
    fieldPath = 'spec.nodeName';
  } else if (!ENV_FIELD_LABELS.has(fieldPath)) {
    throw new DownwardApiError(`field label not supported: ${fieldPath}`);
  }
  const spec = optionalRecord(pod, 'spec') ?? {};
  switch (fieldPath) {
    case 'spec.nodeName':
      return typeof spec.nodeName === 'string' ? spec.nodeName : '';
    case 'spec.serviceAccountName':
      return typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return runtime.hostIP ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return runtime.podIP ?? '';
    default:
      return metadataField(pod, fieldPath);
  }
}

/** Resources a container's limits default to when it sets none (the node's allocatable), as quantities. */
export type NodeAllocatable = Readonly<Record<string, string>>;

function containerNamed(pod: JsonObject, name: string): JsonObject | undefined {
  const spec = optionalRecord(pod, 'spec');
  return [...recordList(spec, 'containers'), ...recordList(spec, 'initContainers')].find((c) => c.name === name);
}

/** A quantity's `Value()` (rounded up to an integer) and `MilliValue()`. */
function value(q: number): number {
  return Math.ceil(q - 1e-9);
}
function milliValue(q: number): number {
  return Math.ceil(q * 1000 - 1e-6);
}

/**
 * `resourceFieldRef`: a container's request or limit divided by `divisor` (default 1), rounded
 * up; an unset limit is the node's allocatable, as the kubelet's `defaultPodLimitsForDownwardAPI`.
 * `containerName` defaults to `defaultContainer` (env: the container being started).
 */
export function resourceFieldValue(pod: JsonObject, ref: JsonObject, allocatable: NodeAllocatable, defaultContainer?: string): string {
  const name = typeof ref.containerName === 'string' && ref.containerName !== '' ? ref.containerName : defaultContainer;
  const container = name === undefined ? undefined : containerNamed(pod, name);
  if (!container) throw new DownwardApiError(`container ${name ?? ''} not found`);
  const resource = typeof ref.resource === 'string' ? ref.resource : '';
  const dot = resource.indexOf('.');
  const kind = resource.slice(0, dot);
  const which = resource.slice(dot + 1);
  if ((kind !== 'limits' && kind !== 'requests') || !['cpu', 'memory', 'ephemeral-storage'].includes(which)) {
    throw new DownwardApiError(`unsupported container resource : ${resource}`);
  }
  const resources = optionalRecord(container, 'resources');
  let quantity = parseQuantity(optionalRecord(resources, kind)?.[which]);
  if (quantity === undefined && kind === 'limits') quantity = parseQuantity(allocatable[which]);
  const divisor = parseQuantity(ref.divisor) || 1;
  const amount = quantity ?? 0;
  const result = which === 'cpu' ? Math.ceil(milliValue(amount) / milliValue(divisor)) : Math.ceil(value(amount) / value(divisor));
  return String(result);
}
