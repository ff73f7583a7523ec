/**
 * `persistentVolumeClaimRetentionPolicy` through owner references, as Kubernetes' StatefulSet
 * controller keeps it (stateful_set_utils.go isClaimOwnerUpToDate /
 * updateClaimOwnerRefForSetAndPod, stateful_pod_control.go PodClaimIsStale): the garbage
 * collector then deletes a claim when every owner it names is gone, and never otherwise.
 *
 * | whenScaled | whenDeleted | claim of a pod in range | claim of a pod scaled away |
 * |---|---|---|---|
 * | Retain | Retain | no reference | no reference |
 * | Retain | Delete | the set | the set |
 * | Delete | Retain | no reference | the pod |
 * | Delete | Delete | the set | the pod |
 *
 * References are controller references (controller, blockOwnerDeletion). A claim whose reference
 * names this set or pod by name but with another uid is stale (left by an earlier set or pod of
 * that name): it is not touched, and a pod is not recreated over it while the scale policy is
 * Delete (the collector is about to remove it). Another controller owning the claim keeps it:
 * this set's and pod's references are removed, none added.
 */
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';
import { claimName, claimsFor } from './identity.ts';
import { PODS, STATEFUL_SETS } from './kinds.ts';
import { endOrdinal, statefulSetSpec, type StatefulSetSpec } from './spec.ts';

/** An owner as a reference names it. */
interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

const refsOf = (claim: KubeObject): JsonObject[] => claim.metadata?.ownerReferences ?? [];
const matchesRef = (ref: JsonObject, o: Owner): boolean => ref.apiVersion === o.apiVersion && ref.kind === o.kind && ref.name === o.name;

function setOwner(set: KubeObject): Owner {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata?.name ?? '', uid: set.metadata?.uid ?? '' };
}

/** The pod as an owner; a pod not yet created has no uid. */
function podOwner(podName: string, pod: KubeObject | undefined): Owner {
  return { apiVersion: 'v1', kind: 'Pod', name: podName, uid: pod?.metadata?.uid ?? '' };
}

/** The claim names this set or pod by name with another uid (Kubernetes' hasStaleOwnerRef). */
function hasStaleRef(claim: KubeObject, o: Owner): boolean {
  const ref = refsOf(claim).find((r) => matchesRef(r, o));
  return ref !== undefined && ref.uid !== o.uid;
}

/** Another controller than this set or pod owns the claim (Kubernetes' hasUnexpectedController). */
function hasUnexpectedController(claim: KubeObject, spec: StatefulSetSpec, set: Owner, pod: Owner): boolean {
  if (spec.whenScaled === 'Retain' && spec.whenDeleted === 'Retain') return false;
  for (const ref of refsOf(claim)) {
    if (matchesRef(ref, set)) {
      if (ref.uid !== set.uid) return true;
      continue;
    }
    if (matchesRef(ref, pod)) {
      if (ref.uid !== pod.uid) return true;
      continue;
    }
    if (ref.controller === true) return true;
  }
  return false;
}

/** Which of set and pod the policy wants as the claim's owner. */
function wantedOwners(spec: StatefulSetSpec, ordinal: number): { set: boolean; pod: boolean } {
  const scaledDown = ordinal < spec.start || ordinal > endOrdinal(spec);
  return {
    set: spec.whenDeleted === 'Delete' && !(spec.whenScaled === 'Delete' && scaledDown),
    pod: spec.whenScaled === 'Delete' && scaledDown,
  };
}

/**
 * The owner references the claim of pod `ordinal` should carry under the set's policy; undefined
 * when it carries them already, or must not be touched (Kubernetes' isClaimOwnerUpToDate, then
 * updateClaimOwnerRefForSetAndPod).
 */
export function claimOwnerRefsFor(set: KubeObject, claim: KubeObject, ordinal: number, pod: KubeObject | undefined, spec: StatefulSetSpec = statefulSetSpec(set)): JsonObject[] | undefined {
  const so = setOwner(set);
  const po = podOwner(`${so.name}-${ordinal}`, pod);
  if (hasStaleRef(claim, so) || (po.uid !== '' && hasStaleRef(claim, po))) return undefined;
  const unexpected = hasUnexpectedController(claim, spec, so, po);
  const want = wantedOwners(spec, ordinal);
  // The pod's reference needs the pod's uid: a claim of a pod not yet made waits for it.
  if (want.pod && po.uid === '') return undefined;
  const kept = refsOf(claim).filter((r) => !matchesRef(r, so) && !matchesRef(r, po));
  const refs = [...kept];
  if (!unexpected) {
    if (want.set) refs.push(controllerRefTo(STATEFUL_SETS, set));
    if (want.pod && pod) refs.push(controllerRefTo(PODS, pod));
  }
  const current = refsOf(claim);
  const same = current.length === refs.length && refs.every((r) => current.some((c) => c.uid === r.uid && c.controller === r.controller && c.kind === r.kind && c.name === r.name));
  return same ? undefined : refs;
}

/** The owner references a claim of pod `ordinal` is created with (a pod in range: the set, when whenDeleted is Delete). */
export function newClaimOwnerRefs(set: KubeObject, ordinal: number, spec: StatefulSetSpec = statefulSetSpec(set)): JsonObject[] {
  return wantedOwners(spec, ordinal).set ? [controllerRefTo(STATEFUL_SETS, set)] : [];
}

/**
 * Kubernetes' PodClaimIsStale: with whenScaled Delete, a claim of the (not yet created) pod that
 * still names an earlier pod of that name as owner is about to be collected: do not make the pod
 * over it.
 */
export function podClaimIsStale(set: KubeObject, ordinal: number, claims: ReadonlyMap<string, KubeObject>, spec: StatefulSetSpec = statefulSetSpec(set)): boolean {
  if (spec.whenScaled === 'Retain') return false;
  const name = `${set.metadata?.name ?? ''}-${ordinal}`;
  return spec.claimTemplates.some((t) => {
    const claim = claims.get(claimName(set, t, ordinal));
    return claim !== undefined && refsOf(claim).some((r) => r.kind === 'Pod' && r.apiVersion === 'v1' && r.name === name);
  });
}

/** The claims of pod `ordinal` missing from `claims` (to create before the pod runs). */
export function missingClaims(set: KubeObject, ordinal: number, claims: ReadonlyMap<string, KubeObject>, spec: StatefulSetSpec = statefulSetSpec(set)): KubeObject[] {
  return claimsFor(set, ordinal, spec)
    .filter((c) => !claims.has(c.metadata?.name ?? ''))
    .map((c) => ({ ...c, metadata: { ...c.metadata, ...ownerRefsField(newClaimOwnerRefs(set, ordinal, spec)) } }));
}

function ownerRefsField(refs: JsonObject[]): { ownerReferences?: JsonObject[] } {
  return refs.length > 0 ? { ownerReferences: refs } : {};
}
