/**
 * The status a replica owner should carry (Kubernetes' calculateStatus), a pure function of the
 * owner, its active pods and the outcome of the last create/delete round.
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

export function calculateStatus(owner: KubeObject, pods: readonly KubeObject[], failure: ManageFailure | undefined, now: number): JsonObject {
  const { minReadySeconds, template } = replicaSpec(owner);
  const templateLabels = isRecord(template.metadata) && isRecord(template.metadata.labels) ? template.metadata.labels : {};
  const fullyLabeled = pods.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata?.labels?.[k] === v));
  const previous = isRecord(owner.status) ? owner.status : {};
  const status: JsonObject = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled.length,
    readyReplicas: pods.filter(isReady).length,
    availableReplicas: pods.filter((p) => isAvailable(p, minReadySeconds, now)).length,
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
