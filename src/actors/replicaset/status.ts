/**
 * The status a replica owner should carry (Kubernetes' calculateStatus), a pure function of the
 * owner, the counts of its active pods and the outcome of the last create/delete round. The
 * counts come from the controller's tallies (pod-tally.ts), kept up to date by pod events, so
 * writing a status costs the same for 10 pods as for 10,000; `countPods` is the same count over
 * a list of pods (tests, and the few pods a sync adopts).
 */
import { isRecord, recordList, jsonEqual, type JsonObject, type KubeObject } from '../../api/object.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { isAvailable, isReady } from '../controller-kit/pods.ts';
import { replicaSpec } from './replica-kind.ts';

/** A failed create or delete round: becomes the ReplicaFailure condition. */
export interface ManageFailure {
  reason: 'FailedCreate' | 'FailedDelete';
  message: string;
}

/** What a replica owner's status counts among the active pods it controls. */
export interface PodCounts {
  replicas: number;
  /** Pods carrying every label of the owner's template. */
  fullyLabeled: number;
  ready: number;
  /** Ready for at least minReadySeconds. */
  available: number;
}

/** The active pods an owner controls, as one sync saw them: counted, and listed on demand (only a scale-down ranks them). */
export interface ObservedPods extends PodCounts {
  list(): KubeObject[];
}

export const NO_PODS: ObservedPods = { replicas: 0, fullyLabeled: 0, ready: 0, available: 0, list: () => [] };

/** The owner's template labels (what `fullyLabeledReplicas` counts). */
export function templateLabelsOf(owner: KubeObject): Record<string, unknown> {
  const { template } = replicaSpec(owner);
  return isRecord(template.metadata) && isRecord(template.metadata.labels) ? template.metadata.labels : {};
}

export function hasLabels(pod: KubeObject, labels: Record<string, unknown>): boolean {
  for (const k in labels) if (pod.metadata?.labels?.[k] !== labels[k]) return false;
  return true;
}

/** The counts over a list of the owner's active pods at `now`. */
export function countPods(owner: KubeObject, pods: readonly KubeObject[], now: number): PodCounts {
  const { minReadySeconds } = replicaSpec(owner);
  const labels = templateLabelsOf(owner);
  return {
    replicas: pods.length,
    fullyLabeled: pods.filter((p) => hasLabels(p, labels)).length,
    ready: pods.filter(isReady).length,
    available: pods.filter((p) => isAvailable(p, minReadySeconds, now)).length,
  };
}

/** `pods` counted and listed (tests build observations with it). */
export function observedPods(owner: KubeObject, pods: readonly KubeObject[], now: number): ObservedPods {
  return { ...countPods(owner, pods, now), list: () => [...pods] };
}

export function calculateStatus(owner: KubeObject, pods: PodCounts, failure: ManageFailure | undefined, now: number): JsonObject {
  const previous = isRecord(owner.status) ? owner.status : {};
  const status: JsonObject = {
    replicas: pods.replicas,
    fullyLabeledReplicas: pods.fullyLabeled,
    readyReplicas: pods.ready,
    availableReplicas: pods.available,
    observedGeneration: owner.metadata?.generation ?? 0,
  };
  const others = recordList(previous, 'conditions').filter((c) => c.type !== 'ReplicaFailure');
  const old = recordList(previous, 'conditions').find((c) => c.type === 'ReplicaFailure');
  const conditions = failure
    ? [...others, old && old.reason === failure.reason && old.message === failure.message ? old : { type: 'ReplicaFailure', status: 'True', lastTransitionTime: toKubernetesTime(now), reason: failure.reason, message: failure.message }]
    : others;
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/** True when `next` differs from the owner's stored status (only then is it written). */
export function statusChanged(owner: KubeObject, next: JsonObject): boolean {
  return !jsonEqual(isRecord(owner.status) ? owner.status : {}, next);
}
