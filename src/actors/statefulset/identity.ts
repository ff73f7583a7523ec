/**
 * A StatefulSet pod's identity (Kubernetes' stateful_set_utils.go): its name `<set>-<ordinal>`,
 * the labels naming it and its index, its hostname and subdomain (the headless Service's DNS
 * answers `<pod>.<serviceName>.<ns>.svc.cluster.local`), and its storage: one claim per
 * `volumeClaimTemplates` entry, named `<template>-<set>-<ordinal>`, mounted as the volume of the
 * template's name. Pure; the planner and the effects build pods and claims from here.
 */
import { isRecord, optionalRecord, type JsonObject, type KubeObject } from '../../api/object.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';
import { STATEFUL_SETS } from './kinds.ts';
import { statefulSetSpec, type StatefulSetSpec } from './spec.ts';

/** The pod label with the pod's own name (a Service can select one member). */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** The pod label with the pod's ordinal. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** The pod label naming the ControllerRevision the pod was made from. */
export const REVISION_LABEL = 'controller-revision-hash';

const MEMBER = /^(.*)-([0-9]+)$/;

/** The set name and ordinal a pod name encodes (Kubernetes' getParentNameAndOrdinal); ordinal −1 when it encodes none. */
export function parentAndOrdinal(podName: string): { parent: string; ordinal: number } {
  const m = MEMBER.exec(podName);
  if (!m) return { parent: '', ordinal: -1 };
  const ordinal = Number(m[2]);
  return { parent: m[1]!, ordinal: Number.isSafeInteger(ordinal) && ordinal <= 0x7fffffff ? ordinal : -1 };
}

/** The pod's ordinal; −1 when its name has none. */
export function ordinalOf(pod: KubeObject): number {
  return parentAndOrdinal(pod.metadata?.name ?? '').ordinal;
}

/** Whether the pod's name says it belongs to `set` (Kubernetes' isMemberOf). */
export function isMemberOf(set: KubeObject, pod: KubeObject): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata?.name ?? '');
  return ordinal >= 0 && parent === set.metadata?.name;
}

export function podName(set: KubeObject, ordinal: number): string {
  return `${set.metadata?.name ?? ''}-${ordinal}`;
}

export function claimName(set: KubeObject, template: JsonObject, ordinal: number): string {
  const name = optionalRecord(template, 'metadata')?.name;
  return `${typeof name === 'string' ? name : ''}-${set.metadata?.name ?? ''}-${ordinal}`;
}

/** The revision a pod was made from (its `controller-revision-hash` label). */
export function revisionOf(pod: KubeObject): string {
  return pod.metadata?.labels?.[REVISION_LABEL] ?? '';
}

/**
 * The claims pod `ordinal` mounts, one per template (Kubernetes' getPersistentVolumeClaims): the
 * template with its name, the set's namespace, and the set's `matchLabels` added to its labels.
 * Owner references (the retention policy) are the caller's.
 */
export function claimsFor(set: KubeObject, ordinal: number, spec: StatefulSetSpec = statefulSetSpec(set)): KubeObject[] {
  const selector = optionalRecord(isRecord(set.spec) ? set.spec : undefined, 'selector');
  const matchLabels = (optionalRecord(selector, 'matchLabels') ?? {}) as Record<string, string>;
  return spec.claimTemplates.map((template) => {
    const meta = optionalRecord(template, 'metadata') ?? {};
    const labels = { ...((isRecord(meta.labels) ? meta.labels : {}) as Record<string, string>), ...matchLabels };
    const metadata: JsonObject = { ...structuredClone(meta), name: claimName(set, template, ordinal), namespace: set.metadata?.namespace, labels };
    // What the API server fills on create, and what a template cannot decide.
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'ownerReferences', 'generation', 'managedFields']) delete metadata[field];
    return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata, spec: structuredClone(optionalRecord(template, 'spec') ?? {}) };
  });
}

/** Kubernetes' identityMatches: named and labelled as member `ordinal` of the set. */
export function identityMatches(set: KubeObject, pod: KubeObject): boolean {
  const name = pod.metadata?.name ?? '';
  const { parent, ordinal } = parentAndOrdinal(name);
  const labels = pod.metadata?.labels ?? {};
  return (
    ordinal >= 0 &&
    parent === set.metadata?.name &&
    pod.metadata?.namespace === set.metadata?.namespace &&
    labels[POD_NAME_LABEL] === name &&
    labels[POD_INDEX_LABEL] === String(ordinal)
  );
}

/** The identity labels the pod should carry; undefined when it carries them. */
export function identityLabels(set: KubeObject, pod: KubeObject): Record<string, string> | undefined {
  if (identityMatches(set, pod)) return undefined;
  const name = pod.metadata?.name ?? '';
  return { ...(pod.metadata?.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinalOf(pod)) };
}

/** Kubernetes' storageMatches: every claim template is mounted from this member's own claim. */
export function storageMatches(set: KubeObject, pod: KubeObject, spec: StatefulSetSpec = statefulSetSpec(set)): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map<string, JsonObject>();
  const podSpec = isRecord(pod.spec) ? pod.spec : {};
  for (const v of Array.isArray(podSpec.volumes) ? podSpec.volumes.filter(isRecord) : []) if (typeof v.name === 'string') volumes.set(v.name, v);
  return spec.claimTemplates.every((template) => {
    const volume = volumes.get(String(optionalRecord(template, 'metadata')?.name ?? ''));
    return optionalRecord(volume, 'persistentVolumeClaim')?.claimName === claimName(set, template, ordinal);
  });
}

/**
 * The pod for member `ordinal` from `template` (the set's at the revision the pod is made at),
 * Kubernetes' newVersionedStatefulSetPod: the template's labels, annotations and spec, the
 * controller reference, the name, the identity labels, `hostname` = the pod's name and
 * `subdomain` = the set's `serviceName`, the claim volumes in place of any template volume of a
 * claim template's name, and the revision label.
 */
export function newStatefulSetPod(set: KubeObject, template: JsonObject, ordinal: number, revision: string, spec: StatefulSetSpec = statefulSetSpec(set)): KubeObject {
  const meta = optionalRecord(template, 'metadata') ?? {};
  const name = podName(set, ordinal);
  const labels: Record<string, string> = { ...((isRecord(meta.labels) ? meta.labels : {}) as Record<string, string>), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision };
  const metadata: JsonObject = { name, namespace: set.metadata?.namespace, labels, ownerReferences: [controllerRefTo(STATEFUL_SETS, set)] };
  for (const field of ['annotations', 'finalizers']) if (meta[field] !== undefined) metadata[field] = structuredClone(meta[field]);
  const podSpec = structuredClone(optionalRecord(template, 'spec') ?? {});
  podSpec.hostname = name;
  if (spec.serviceName !== '') podSpec.subdomain = spec.serviceName;
  const claimVolumes = spec.claimTemplates.map((t) => ({
    name: String(optionalRecord(t, 'metadata')?.name ?? ''),
    persistentVolumeClaim: { claimName: claimName(set, t, ordinal) },
  }));
  const taken = new Set(claimVolumes.map((v) => v.name));
  const own = Array.isArray(podSpec.volumes) ? podSpec.volumes.filter((v) => !(isRecord(v) && taken.has(String(v.name)))) : [];
  if (claimVolumes.length > 0 || own.length > 0) podSpec.volumes = [...claimVolumes, ...own];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: podSpec };
}
