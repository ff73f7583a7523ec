/**
 * VolumeBinding (kube-scheduler's plugin of that name, without storage capacity tracking): a pod's
 * PersistentVolumeClaims decide where it may run.
 *
 * PreFilter (`podClaims`): every claim the pod's volumes name must exist and not be being
 * deleted; a claim not yet bound must belong to a class that waits for its first consumer
 * (WaitForFirstConsumer) — an unbound claim of an Immediate class is the binder's to bind first
 * ("pod has unbound immediate PersistentVolumeClaims").
 *
 * Filter (`planForNode`, through the plugin): a bound claim's volume must exist and its node
 * affinity admit the node ("node(s) had volume node affinity conflict"); a waiting claim needs, on
 * that node, the volume already reserved for it, or an Available volume that fits it
 * (FindMatchingVolume with the node), or a class that can provision there (a provisioner, and the
 * class's allowedTopologies) — else "node(s) didn't find available persistent volumes to bind".
 *
 * The plan for the chosen node is what PreBind (volume-binder.ts) writes: static volumes bound to
 * their claims (claimRef, as the binder would), claims to provision annotated with the node.
 */
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { isRecord, optionalRecord, recordList } from '../../api/object.ts';
import { claimClass, claimRefOf, isClaimFullyBound, isDelayBindingClass, isVolumeBoundToClaim, podClaimNames, provisionerOf } from '../../api/storage/helpers.ts';
import { findMatchingVolume, volumeFitsNode } from '../../api/storage/matching.ts';
import { NO_PROVISIONER } from '../../api/storage/names.ts';
import type { FilterPlugin } from '../types.ts';

export const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

/** What the scheduler's caches answer about storage. */
export interface StorageLookup {
  claim(namespace: string, name: string): KubeObject | undefined;
  volume(name: string): KubeObject | undefined;
  volumes(): KubeObject[];
  storageClass(name: string): KubeObject | undefined;
  /** Volumes this scheduler bound to a claim whose write the cache has not shown yet: volume name → claim uid. */
  assumed(): ReadonlyMap<string, string>;
}

/** A pod's claims as PreFilter sorted them. */
export interface PodClaims {
  /** Fully bound claims and their volumes (undefined: the volume is gone). */
  bound: { claim: KubeObject; volume: KubeObject | undefined }[];
  /** Claims waiting for their first consumer: this pod. */
  delayed: { claim: KubeObject; storageClass: KubeObject }[];
}

/** PreFilter: the pod's claims, or why no node can take the pod. */
export function podClaims(pod: KubeObject, lookup: StorageLookup): { claims: PodClaims } | { unschedulable: string } {
  const namespace = pod.metadata?.namespace ?? '';
  const claims: PodClaims = { bound: [], delayed: [] };
  for (const name of podClaimNames(pod)) {
    const claim = lookup.claim(namespace, name);
    if (!claim) return { unschedulable: `persistentvolumeclaim ${JSON.stringify(name)} not found` };
    if (claim.metadata?.deletionTimestamp) return { unschedulable: `persistentvolumeclaim ${JSON.stringify(name)} is being deleted` };
    if (isClaimFullyBound(claim)) {
      const volumeName = String(optionalRecord(claim, 'spec')?.volumeName ?? '');
      claims.bound.push({ claim, volume: lookup.volume(volumeName) });
      continue;
    }
    const storageClass = lookup.storageClass(claimClass(claim));
    if (!storageClass || !isDelayBindingClass(storageClass)) return { unschedulable: ERR_UNBOUND_IMMEDIATE };
    claims.delayed.push({ claim, storageClass });
  }
  return { claims };
}

/** What PreBind does for a pod placed on a node. */
export interface VolumePlan {
  /** Static volumes to bind to waiting claims (their claimRef). */
  bindings: { volume: KubeObject; claim: KubeObject }[];
  /** Claims to provision on the node (`volume.kubernetes.io/selected-node`). */
  provisions: KubeObject[];
  /** Every waiting claim: the pod is bound to the node once all are bound. */
  waitFor: KubeObject[];
}

/** Nothing to write or wait for. */
export const isEmptyPlan = (plan: VolumePlan): boolean => plan.waitFor.length === 0;

/** Filter for one node, and the plan if the node fits. */
export function planForNode(claims: PodClaims, node: KubeObject, lookup: StorageLookup): { plan: VolumePlan } | { reasons: string[] } {
  const reasons = new Set<string>();
  for (const { volume } of claims.bound) {
    if (!volume) reasons.add(ERR_PV_NOT_EXIST);
    else if (!volumeFitsNode(volume, node)) reasons.add(ERR_NODE_CONFLICT);
  }
  const plan: VolumePlan = { bindings: [], provisions: [], waitFor: [] };
  const chosen = new Set<string>();
  const volumes = lookup.volumes();
  for (const { claim, storageClass } of claims.delayed) {
    plan.waitFor.push(claim);
    const uid = claim.metadata?.uid ?? '';
    // A volume already reserved for the claim (by a user, or provisioned for it): it decides the node.
    const reserved = volumes.find((v) => isVolumeBoundToClaim(v, claim));
    if (reserved) {
      if (!volumeFitsNode(reserved, node)) reasons.add(ERR_NODE_CONFLICT);
      else if (claimRefOf(reserved)?.uid === '') plan.bindings.push({ volume: reserved, claim });
      continue;
    }
    const excluded = new Set(chosen);
    for (const [name, claimUid] of lookup.assumed()) if (claimUid !== uid) excluded.add(name);
    const match = findMatchingVolume(claim, volumes, { node, delayBinding: true, excluded });
    if (match) {
      chosen.add(match.metadata?.name ?? '');
      plan.bindings.push({ volume: match, claim });
      continue;
    }
    if (canProvisionOn(storageClass, node)) plan.provisions.push(claim);
    else reasons.add(ERR_BIND_CONFLICT);
  }
  return reasons.size > 0 ? { reasons: [...reasons] } : { plan };
}

/** The class has a provisioner and its allowedTopologies (if any) admit the node. */
function canProvisionOn(storageClass: KubeObject, node: KubeObject): boolean {
  const provisioner = provisionerOf(storageClass);
  if (provisioner === '' || provisioner === NO_PROVISIONER) return false;
  const terms = Array.isArray(storageClass.allowedTopologies) ? storageClass.allowedTopologies.filter(isRecord) : [];
  if (terms.length === 0) return true;
  const labels = node.metadata?.labels ?? {};
  // MatchTopologySelectorTerms: terms ORed, expressions ANDed, a label value among the listed ones.
  return terms.some((term: JsonObject) =>
    recordList(term, 'matchLabelExpressions').every((e) => typeof e.key === 'string' && Array.isArray(e.values) && e.values.includes(labels[e.key])),
  );
}

/** The Filter plugin: the node fits the pod's claims (PodInfo.volumes, set by PreFilter). */
export const volumeBinding: FilterPlugin = {
  name: 'VolumeBinding',
  skips: (pod) => !pod.volumes,
  filter(pod, node) {
    if (!pod.volumes) return undefined;
    const result = planForNode(pod.volumes.claims, node.node, pod.volumes.lookup);
    return 'reasons' in result ? { reasons: result.reasons, unresolvable: true } : undefined;
  },
};
