/**
 * A pod's `spec.volumes` read into what the node sets up for each (pure). Content volumes
 * (configMap, secret, downwardAPI, projected) are written by the node and always mounted
 * read-only, as the kubelet mounts them; emptyDir, hostPath and persistentVolumeClaim are
 * directories bound as they are.
 */
import { isRecord, optionalRecord, recordList, type JsonObject } from '../../src/api/object.ts';
import { parseQuantity } from '../../src/api/quantity.ts';

/** Kubernetes' hostPath types (`''` checks nothing). */
export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] as const;
export type HostPathType = (typeof HOST_PATH_TYPES)[number];

export type VolumeSource =
  | { kind: 'emptyDir'; medium: 'Memory' | ''; sizeLimitBytes?: number }
  | { kind: 'hostPath'; path: string; type: HostPathType }
  | { kind: 'configMap'; source: JsonObject }
  | { kind: 'secret'; source: JsonObject }
  | { kind: 'downwardAPI'; source: JsonObject }
  | { kind: 'projected'; source: JsonObject }
  | { kind: 'persistentVolumeClaim'; claimName: string; readOnly: boolean }
  /** A source this node has no plugin for (nfs, csi, …): setting it up fails. */
  | { kind: 'unsupported'; source: string };

/** Volumes whose files the node writes (AtomicWriter) and mounts read-only. */
export type ContentSource = Extract<VolumeSource, { kind: 'configMap' | 'secret' | 'downwardAPI' | 'projected' }>;

export interface PodVolumeSpec {
  name: string;
  source: VolumeSource;
}

export function isContentSource(source: VolumeSource): source is ContentSource {
  return source.kind === 'configMap' || source.kind === 'secret' || source.kind === 'downwardAPI' || source.kind === 'projected';
}

function sourceOf(v: JsonObject): VolumeSource {
  const emptyDir = optionalRecord(v, 'emptyDir');
  if (emptyDir) {
    const limit = parseQuantity(emptyDir.sizeLimit);
    return { kind: 'emptyDir', medium: emptyDir.medium === 'Memory' ? 'Memory' : '', ...(limit === undefined ? {} : { sizeLimitBytes: Math.ceil(limit) }) };
  }
  const hostPath = optionalRecord(v, 'hostPath');
  if (hostPath && typeof hostPath.path === 'string') {
    const type = HOST_PATH_TYPES.find((t) => t === (hostPath.type ?? ''));
    if (type === undefined) return { kind: 'unsupported', source: `hostPath type ${String(hostPath.type)}` };
    return { kind: 'hostPath', path: hostPath.path, type };
  }
  for (const kind of ['configMap', 'secret', 'downwardAPI', 'projected'] as const) {
    const source = optionalRecord(v, kind);
    if (source) return { kind, source };
  }
  const claim = optionalRecord(v, 'persistentVolumeClaim');
  if (claim && typeof claim.claimName === 'string') return { kind: 'persistentVolumeClaim', claimName: claim.claimName, readOnly: claim.readOnly === true };
  return { kind: 'unsupported', source: Object.keys(v).find((k) => k !== 'name') ?? 'unknown' };
}

/** The pod's volumes, in spec order. */
export function podVolumes(pod: JsonObject): PodVolumeSpec[] {
  const spec = optionalRecord(pod, 'spec');
  return recordList(spec, 'volumes').flatMap((v) => (typeof v.name === 'string' && v.name !== '' ? [{ name: v.name, source: sourceOf(v) }] : []));
}

/** The Kubernetes default for configMap/secret/downwardAPI/projected files (0644). */
export const DEFAULT_MODE = 0o644;

export function modeOf(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0o777 ? v : fallback;
}

/** Whether `v` is an object (helpers for callers reading sources). */
export { isRecord };
