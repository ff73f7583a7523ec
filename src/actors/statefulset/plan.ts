/**
 * What a StatefulSet round may do, pure: Kubernetes' updateStatefulSet walk
 * (stateful_set_control.go processReplica, processCondemned, updateStatefulSetAfterInvariantEstablished)
 * over the pods the set controls, as lists of candidate work the machine's guards choose from.
 *
 * Replicas are the in-range slots, ordinal `start` … `start + replicas − 1`; condemned pods are
 * the set's pods with an ordinal outside that range, highest first. The walk, per slot in order:
 *
 * 1. a Failed or Succeeded pod is deleted (replaced once it is gone from the store);
 * 2. an empty slot gets a pod (at the current revision below the partition, else the update
 *    revision), its missing claims first, unless a claim is being deleted or is stale;
 * 3. a Pending pod gets its missing claims;
 * 4. a pod that is terminating, not running and ready, or not available holds OrderedReady back;
 * 5. a pod reached healthy gets its identity labels and its claims' owner references fixed.
 *
 * OrderedReady (monotonic) stops at the first slot that needs a delete or create or holds back;
 * Parallel goes on past every slot. Only when OrderedReady got past every slot (all running,
 * ready and available) are condemned pods removed, the highest first and one at a time (a
 * terminating one is waited for; an unhealthy one is removed only if it is the first unhealthy
 * pod), and only then does RollingUpdate delete pods that are not at the update revision, from
 * the highest ordinal down to the partition, as many as maxUnavailable allows beside the pods
 * already unhealthy. Parallel removes every condemned pod at once and rolls regardless. OnDelete
 * never deletes for an update.
 */
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { claimsFor, identityLabels, ordinalOf, revisionOf, storageMatches } from './identity.ts';
import { isFinished, isHealthy, isPending, isRunningAndAvailable, isRunningAndReady, isTerminating } from './pod-state.ts';
import { claimOwnerRefsFor, missingClaims, podClaimIsStale } from './retention.ts';
import type { RevisionRef } from './revisions.ts';
import { endOrdinal, maxUnavailableOf, statefulSetSpec, type StatefulSetSpec } from './spec.ts';

export interface PlanInput {
  set: KubeObject;
  /** The pods the set controls (terminating ones included). */
  pods: readonly KubeObject[];
  /** The namespace's claims by name (the set's among them). */
  claims: ReadonlyMap<string, KubeObject>;
  current: RevisionRef;
  update: RevisionRef;
  now: number;
}

/** A pod to create: its ordinal, the revision and template it is made at, the claims it still lacks. */
export interface PodToCreate {
  ordinal: number;
  revision: string;
  template: JsonObject;
  claims: KubeObject[];
}

/** A pod's fix-up: claims to create, identity labels to set, claims whose owner references to change. */
export interface PodRepair {
  pod: KubeObject;
  createClaims: KubeObject[];
  labels?: Record<string, string>;
  claimOwners: { claim: KubeObject; ownerReferences: JsonObject[] }[];
}

/** Why OrderedReady stops at a slot (for logs and the machine's resting state). */
export type HoldReason = 'replacing' | 'creating' | 'claimDeleting' | 'terminating' | 'notReady' | 'notAvailable' | 'condemnedTerminating' | 'condemnedUnhealthy';

export interface SetPlan {
  /** Failed/Succeeded pods to delete (not yet terminating), lowest ordinal first. */
  replaceFailed: KubeObject[];
  /** Pods to create, lowest ordinal first. */
  create: PodToCreate[];
  repair: PodRepair[];
  /** Condemned pods to delete (scale down), highest ordinal first. */
  condemn: KubeObject[];
  /** Pods to delete for the rolling update, highest ordinal first. */
  update: KubeObject[];
  /** OrderedReady: the ordinal the walk stopped at, and why; undefined when it went through. */
  heldAt?: { ordinal: number; reason: HoldReason };
}

export const EMPTY_PLAN: SetPlan = { replaceFailed: [], create: [], repair: [], condemn: [], update: [] };

/** The set's pods in range, by slot (index = ordinal − start), and the condemned ones, highest first. */
export function slotsOf(spec: StatefulSetSpec, pods: readonly KubeObject[]): { slots: (KubeObject | undefined)[]; condemned: KubeObject[] } {
  const slots: (KubeObject | undefined)[] = new Array<KubeObject | undefined>(spec.replicas).fill(undefined);
  const condemned: KubeObject[] = [];
  for (const pod of pods) {
    const ordinal = ordinalOf(pod);
    if (ordinal < 0) continue;
    if (ordinal >= spec.start && ordinal <= endOrdinal(spec)) slots[ordinal - spec.start] = pod;
    else condemned.push(pod);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  return { slots, condemned };
}

/** Claims of `ordinal` whose deletion has begun: a pod must not be made to mount them. */
function claimBeingDeleted(set: KubeObject, ordinal: number, claims: ReadonlyMap<string, KubeObject>, spec: StatefulSetSpec): boolean {
  return claimsFor(set, ordinal, spec).some((c) => Boolean(claims.get(c.metadata?.name ?? '')?.metadata?.deletionTimestamp));
}

/** The fix-ups of an existing pod: identity labels, claim owner references (and missing claims when `withClaims`). */
function repairOf(input: PlanInput, spec: StatefulSetSpec, pod: KubeObject, fixIdentity: boolean, withClaims: boolean): PodRepair | undefined {
  const { set, claims } = input;
  const ordinal = ordinalOf(pod);
  const createClaims = withClaims || (fixIdentity && !storageMatches(set, pod, spec)) ? missingClaims(set, ordinal, claims, spec) : [];
  const labels = fixIdentity ? identityLabels(set, pod) : undefined;
  const claimOwners: PodRepair['claimOwners'] = [];
  if (fixIdentity) {
    for (const wanted of claimsFor(set, ordinal, spec)) {
      const claim = claims.get(wanted.metadata?.name ?? '');
      if (!claim || claim.metadata?.deletionTimestamp) continue;
      const ownerReferences = claimOwnerRefsFor(set, claim, ordinal, pod, spec);
      if (ownerReferences) claimOwners.push({ claim, ownerReferences });
    }
  }
  if (createClaims.length === 0 && !labels && claimOwners.length === 0) return undefined;
  return { pod, createClaims, ...(labels ? { labels } : {}), claimOwners };
}

export function planStatefulSet(input: PlanInput): SetPlan {
  const { set, pods, claims, current, update, now } = input;
  const spec = statefulSetSpec(set);
  const monotonic = !spec.parallel;
  const { slots, condemned } = slotsOf(spec, pods);
  const plan: SetPlan = { replaceFailed: [], create: [], repair: [], condemn: [], update: [] };
  const hold = (ordinal: number, reason: HoldReason): SetPlan => ({ ...plan, heldAt: { ordinal, reason } });

  for (let i = 0; i < slots.length; i++) {
    const ordinal = spec.start + i;
    const pod = slots[i];
    if (pod && isFinished(pod)) {
      if (!isTerminating(pod)) plan.replaceFailed.push(pod);
      if (monotonic) return hold(ordinal, 'replacing');
      continue;
    }
    if (!pod) {
      if (claimBeingDeleted(set, ordinal, claims, spec) || podClaimIsStale(set, ordinal, claims, spec)) {
        if (monotonic) return hold(ordinal, 'claimDeleting');
        continue;
      }
      // Below the partition a new pod is made at the current revision (Kubernetes' newVersionedStatefulSetPod).
      const atCurrent = spec.strategy === 'RollingUpdate' && i < spec.partition;
      const revision = atCurrent ? current : update;
      plan.create.push({ ordinal, revision: revision.name, template: revision.template, claims: missingClaims(set, ordinal, claims, spec) });
      if (monotonic) return hold(ordinal, 'creating');
      continue;
    }
    const reached = !monotonic || (!isTerminating(pod) && isRunningAndReady(pod) && isRunningAndAvailable(pod, spec.minReadySeconds, now));
    const repair = repairOf(input, spec, pod, reached, isPending(pod));
    if (repair) plan.repair.push(repair);
    if (!reached) return hold(ordinal, isTerminating(pod) ? 'terminating' : !isRunningAndReady(pod) ? 'notReady' : 'notAvailable');
  }

  // Scaled-away pods' claims get the owners the policy gives them (the pod, for whenScaled Delete).
  for (const pod of condemned) {
    const repair = repairOf(input, spec, pod, true, false);
    if (repair && repair.claimOwners.length > 0) plan.repair.push({ pod, createClaims: [], claimOwners: repair.claimOwners });
  }

  // Condemned pods (Kubernetes' processCondemned).
  if (monotonic) {
    // Every slot is healthy here, so the first unhealthy pod is the lowest unhealthy condemned one.
    const firstUnhealthy = [...condemned].reverse().find((p) => !isHealthy(p));
    const target = condemned[0];
    if (target) {
      if (isTerminating(target)) return hold(ordinalOf(target), 'condemnedTerminating');
      const healthy = isRunningAndReady(target) && isRunningAndAvailable(target, spec.minReadySeconds, now);
      if (!healthy && target !== firstUnhealthy) return hold(ordinalOf(target), 'condemnedUnhealthy');
      plan.condemn.push(target);
      return plan;
    }
  } else {
    plan.condemn.push(...condemned.filter((p) => !isTerminating(p)));
  }

  if (spec.strategy === 'OnDelete') return plan;
  plan.update.push(...updateTargets(spec, slots, update.name));
  return plan;
}

/**
 * Kubernetes' updateStatefulSetAfterInvariantEstablished: the pods to delete for the rolling
 * update, highest ordinal first, down to the partition, at most maxUnavailable minus the slots
 * already unhealthy (an empty slot counts).
 */
export function updateTargets(spec: StatefulSetSpec, slots: readonly (KubeObject | undefined)[], updateRevision: string): KubeObject[] {
  const unavailable = slots.filter((p) => !p || !isHealthy(p)).length;
  const budget = maxUnavailableOf(spec) - unavailable;
  const targets: KubeObject[] = [];
  for (let i = slots.length - 1; i >= spec.partition && targets.length < budget; i--) {
    const pod = slots[i];
    if (pod && revisionOf(pod) !== updateRevision && !isTerminating(pod)) targets.push(pod);
  }
  return targets;
}
