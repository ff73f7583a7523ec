/**
 * Pure facts about claims, volumes and classes, named as Kubernetes' storage helpers
 * (k8s.io/component-helpers/storage/volume, pkg/controller/volume/persistentvolume/util): which
 * class a claim asks for, whether a volume is bound to a claim, whether access and volume modes
 * fit, which class is the default, whether a claim's binding waits for its first consumer.
 */
import type { JsonObject, KubeObject } from '../object.ts';
import { isRecord, optionalRecord } from '../object.ts';
import { parseQuantity } from '../quantity.ts';
import { ANN_BETA_DEFAULT_CLASS, ANN_BETA_STORAGE_CLASS, ANN_BIND_COMPLETED, ANN_DEFAULT_CLASS, ANN_SELECTED_NODE } from './names.ts';

const specOf = (obj: KubeObject): JsonObject => optionalRecord(obj, 'spec') ?? {};
const annotation = (obj: KubeObject, key: string): string | undefined => obj.metadata?.annotations?.[key];

/** GetPersistentVolumeClaimClass: the beta annotation, else `spec.storageClassName`, else '' (no class). */
export function claimClass(claim: KubeObject): string {
  const beta = annotation(claim, ANN_BETA_STORAGE_CLASS);
  if (beta !== undefined) return beta;
  const name = specOf(claim).storageClassName;
  return typeof name === 'string' ? name : '';
}

/** PersistentVolumeClaimHasClass: the claim names a class, even '' (only an unset one gets the default). */
export function claimHasClass(claim: KubeObject): boolean {
  return annotation(claim, ANN_BETA_STORAGE_CLASS) !== undefined || typeof specOf(claim).storageClassName === 'string';
}

/** GetPersistentVolumeClass. */
export function volumeClass(volume: KubeObject): string {
  const beta = annotation(volume, ANN_BETA_STORAGE_CLASS);
  if (beta !== undefined) return beta;
  const name = specOf(volume).storageClassName;
  return typeof name === 'string' ? name : '';
}

/** The claim's `spec.volumeName` ('' when unset). */
export function claimVolumeName(claim: KubeObject): string {
  const name = specOf(claim).volumeName;
  return typeof name === 'string' ? name : '';
}

/** What `spec.claimRef` of a volume names; undefined when the volume is unclaimed. */
export interface ClaimRef {
  namespace: string;
  name: string;
  /** '' for a volume a user pre-bound by name only. */
  uid: string;
}

export function claimRefOf(volume: KubeObject): ClaimRef | undefined {
  const ref = specOf(volume).claimRef;
  if (!isRecord(ref)) return undefined;
  return { namespace: String(ref.namespace ?? ''), name: String(ref.name ?? ''), uid: String(ref.uid ?? '') };
}

/** IsVolumeBoundToClaim: the claimRef names this claim, by name and (when set) uid. */
export function isVolumeBoundToClaim(volume: KubeObject, claim: KubeObject): boolean {
  const ref = claimRefOf(volume);
  if (!ref) return false;
  if (ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace) return false;
  return ref.uid === '' || ref.uid === claim.metadata?.uid;
}

const modesOf = (obj: KubeObject): string[] => {
  const modes = specOf(obj).accessModes;
  return Array.isArray(modes) ? modes.map(String) : [];
};

export const claimAccessModes = modesOf;
export const volumeAccessModes = modesOf;

/** CheckAccessModes: the volume offers every mode the claim asks for. */
export function checkAccessModes(claim: KubeObject, volume: KubeObject): boolean {
  const offered = new Set(modesOf(volume));
  return modesOf(claim).every((m) => offered.has(m));
}

/** CheckVolumeModeMismatches: a Block claim cannot use a Filesystem volume, nor the other way. */
export function volumeModeMismatch(claim: KubeObject, volume: KubeObject): boolean {
  const mode = (obj: KubeObject): string => String(specOf(obj).volumeMode ?? 'Filesystem');
  return mode(claim) !== mode(volume);
}

/** The storage the claim requests, in bytes (0 when it names none). */
export function requestedStorage(claim: KubeObject): number {
  return parseQuantity(optionalRecord(optionalRecord(specOf(claim), 'resources'), 'requests')?.storage) ?? 0;
}

/** The claim's storage request as written (`1Gi`), for the volume a provisioner makes. */
export function requestedStorageQuantity(claim: KubeObject): string | undefined {
  const q = optionalRecord(optionalRecord(specOf(claim), 'resources'), 'requests')?.storage;
  return typeof q === 'string' ? q : typeof q === 'number' ? String(q) : undefined;
}

/** The volume's capacity, in bytes (0 when it states none). */
export function volumeCapacity(volume: KubeObject): number {
  return parseQuantity(optionalRecord(specOf(volume), 'capacity')?.storage) ?? 0;
}

/** The volume's `spec.persistentVolumeReclaimPolicy` (Retain when unset, the API's default). */
export function reclaimPolicyOf(volume: KubeObject): string {
  const policy = specOf(volume).persistentVolumeReclaimPolicy;
  return typeof policy === 'string' ? policy : 'Retain';
}

/** IsDefaultAnnotation. */
export function isDefaultClass(storageClass: KubeObject): boolean {
  return annotation(storageClass, ANN_DEFAULT_CLASS) === 'true' || annotation(storageClass, ANN_BETA_DEFAULT_CLASS) === 'true';
}

/**
 * GetDefaultClass: the class marked default; with several, the newest (then the first by name),
 * as Kubernetes picks since 1.26.
 */
export function defaultClassOf(classes: readonly KubeObject[]): KubeObject | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => {
    const byTime = String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? ''));
    return byTime !== 0 ? byTime : String(a.metadata?.name ?? '').localeCompare(String(b.metadata?.name ?? ''));
  });
  return defaults[0];
}

/** IsDelayBindingMode: the claim's class binds when its first pod is scheduled. */
export function isDelayBindingClass(storageClass: KubeObject | undefined): boolean {
  return storageClass?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** The node the scheduler selected for the claim (`volume.kubernetes.io/selected-node`). */
export function selectedNodeOf(claim: KubeObject): string | undefined {
  const node = annotation(claim, ANN_SELECTED_NODE);
  return node === undefined || node === '' ? undefined : node;
}

/** The provisioner a class names ('' when none). */
export function provisionerOf(storageClass: KubeObject | undefined): string {
  return typeof storageClass?.provisioner === 'string' ? storageClass.provisioner : '';
}

/** The claim names used by a pod's `persistentVolumeClaim` volumes (its namespace). */
export function podClaimNames(pod: KubeObject): string[] {
  const volumes = optionalRecord(pod, 'spec')?.volumes;
  if (!Array.isArray(volumes)) return [];
  const names = new Set<string>();
  for (const v of volumes) {
    const pvc = isRecord(v) ? v.persistentVolumeClaim : undefined;
    if (isRecord(pvc) && typeof pvc.claimName === 'string' && pvc.claimName !== '') names.add(pvc.claimName);
  }
  return [...names];
}

/** Kubernetes' ObjectReference to a claim, as a volume's `spec.claimRef` holds it. */
export function claimReference(claim: KubeObject): JsonObject {
  return {
    kind: 'PersistentVolumeClaim',
    namespace: claim.metadata?.namespace,
    name: claim.metadata?.name,
    uid: claim.metadata?.uid,
    apiVersion: 'v1',
    resourceVersion: claim.metadata?.resourceVersion,
  };
}

/** isPVCFullyBound: the claim names its volume and the binder finished binding it. */
export function isClaimFullyBound(claim: KubeObject): boolean {
  return claimVolumeName(claim) !== '' && ANN_BIND_COMPLETED in (claim.metadata?.annotations ?? {});
}
