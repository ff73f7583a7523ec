/**
 * The StatefulSet's status (Kubernetes' updateStatus, computeReplicaStatus,
 * completeRollingUpdate and inconsistentStatus), pure. `kubectl rollout status sts/NAME` reads
 * it: observedGeneration, readyReplicas against spec.replicas, updatedReplicas against
 * replicas − partition, and currentRevision against updateRevision.
 */
import { isRecord, type KubeObject } from '../../api/object.ts';
import { revisionOf } from './identity.ts';
import { isRunningAndAvailable, isRunningAndReady, isTerminating } from './pod-state.ts';
import { statefulSetSpec } from './spec.ts';

export interface StatefulSetStatus {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
}

export interface StatusInput {
  set: KubeObject;
  /** The pods the set controls (terminating ones included). */
  pods: readonly KubeObject[];
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
  now: number;
}

export function calculateStatus({ set, pods, currentRevision, updateRevision, collisionCount, now }: StatusInput): StatefulSetStatus {
  const spec = statefulSetSpec(set);
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata?.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision,
    updateRevision,
    collisionCount,
  };
  for (const pod of pods) {
    status.replicas++;
    if (isRunningAndReady(pod)) {
      status.readyReplicas++;
      if (isRunningAndAvailable(pod, spec.minReadySeconds, now)) status.availableReplicas++;
    }
    if (!isTerminating(pod)) {
      if (revisionOf(pod) === currentRevision) status.currentReplicas++;
      if (revisionOf(pod) === updateRevision) status.updatedReplicas++;
    }
  }
  // Kubernetes' completeRollingUpdate: every replica updated and ready ends the rollout.
  if (spec.strategy === 'RollingUpdate' && status.updatedReplicas === spec.replicas && status.readyReplicas === spec.replicas && status.replicas === spec.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  return status;
}

const FIELDS = ['observedGeneration', 'replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'currentRevision', 'updateRevision', 'collisionCount'] as const;

/** The stored status differs from `status` in a field the controller owns. */
export function statusChanged(set: KubeObject, status: StatefulSetStatus): boolean {
  const stored = isRecord(set.status) ? set.status : {};
  return FIELDS.some((f) => (stored[f] ?? defaultOf(f)) !== status[f]);
}

function defaultOf(field: (typeof FIELDS)[number]): number | string {
  return field === 'currentRevision' || field === 'updateRevision' ? '' : 0;
}
