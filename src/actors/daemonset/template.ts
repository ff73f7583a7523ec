/**
 * From a DaemonSet's template to the pod it puts on one node (Kubernetes' CreatePodTemplate and
 * daemon pod tolerations), and the template's revision hash (`controller-revision-hash`).
 */
import { isRecord, optionalRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { DAEMON_SETS } from './kinds.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';

/** The label naming the template revision a pod was made from. */
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** The (deprecated, still written by Kubernetes) label with the DaemonSet generation a pod was made at. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/**
 * Tolerations every daemon pod gets (Kubernetes' AddOrUpdateDaemonPodTolerations): daemons keep
 * running on nodes that are not ready, unreachable, under pressure or cordoned.
 */
export const DEFAULT_TOLERATIONS: readonly JsonObject[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** Added for host-network pods only: they need no pod network. */
const NETWORK_UNAVAILABLE: JsonObject = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' };

export function templateOf(ds: KubeObject): JsonObject {
  return optionalRecord(isRecord(ds.spec) ? ds.spec : undefined, 'template') ?? {};
}

/** The template's pod spec with the daemon tolerations added (those the user wrote win). */
export function daemonPodSpec(ds: KubeObject): JsonObject {
  const spec = structuredClone(optionalRecord(templateOf(ds), 'spec') ?? {});
  const tolerations = recordList(spec, 'tolerations');
  const defaults = spec.hostNetwork === true ? [...DEFAULT_TOLERATIONS, NETWORK_UNAVAILABLE] : DEFAULT_TOLERATIONS;
  for (const t of defaults) {
    if (!tolerations.some((have) => have.key === t.key && have.effect === t.effect)) tolerations.push({ ...t });
  }
  spec.tolerations = tolerations;
  return spec;
}

/**
 * The revision hash of the template (Kubernetes' ComputeHash: FNV-1a of the template, mixed with
 * the collision count, written in the safe alphabet). The template is serialised with sorted
 * keys so a re-ordered but equal template keeps its hash.
 */
export function templateHash(ds: KubeObject): string {
  const status = isRecord(ds.status) ? ds.status : {};
  const collisions = typeof status.collisionCount === 'number' ? status.collisionCount : 0;
  return safeEncode(String(fnv1a32(stableStringify(templateOf(ds)) + (collisions > 0 ? String(collisions) : ''))));
}

/** The pod for node `nodeName`, owned by `ds`, bound at creation (see README: placement). */
export function daemonPodFor(ds: KubeObject, nodeName: string, hash: string): KubeObject {
  const meta = optionalRecord(templateOf(ds), 'metadata') ?? {};
  const labels: Record<string, string> = { ...(isRecord(meta.labels) ? (meta.labels as Record<string, string>) : {}) };
  labels[REVISION_HASH_LABEL] = hash;
  labels[TEMPLATE_GENERATION_LABEL] = String(ds.metadata?.generation ?? 1);
  const metadata: JsonObject = {
    generateName: `${ds.metadata?.name ?? ''}-`,
    namespace: ds.metadata?.namespace,
    labels,
    ownerReferences: [controllerRefTo(DAEMON_SETS, ds)],
  };
  for (const field of ['annotations', 'finalizers']) if (meta[field] !== undefined) metadata[field] = structuredClone(meta[field]);
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: { ...daemonPodSpec(ds), nodeName } };
}

/** JSON with object keys sorted at every level. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Kubernetes' rand.SafeEncodeString: no vowels, no look-alike digits. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function safeEncode(s: string): string {
  return [...s].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}
