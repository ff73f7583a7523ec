/**
 * Typed reads of the Deployment and ReplicaSet fields the controller uses, and the annotation
 * keys Kubernetes' deployment controller writes (pkg/controller/deployment/util).
 */
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, optionalRecord, type JsonObject, type KubeObject } from '../../api/object.ts';

export const DEPLOYMENTS = findKind('apps/v1', 'Deployment') as ResourceInfo;
export const REPLICA_SETS = findKind('apps/v1', 'ReplicaSet') as ResourceInfo;
export const PODS = findKind('v1', 'Pod') as ResourceInfo;

/** The revision of a ReplicaSet (and the Deployment's current one). */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Earlier revisions a reused ReplicaSet had (rollbacks), comma separated. */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** spec.replicas of the Deployment when the ReplicaSet was last scaled (proportional scaling). */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** spec.replicas + maxSurge of the Deployment when the ReplicaSet was last scaled. */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** The label that keeps each ReplicaSet's pods apart: a hash of its pod template. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Deployment annotations never copied onto its ReplicaSets (Kubernetes' annotationsToSkip). */
export const ANNOTATIONS_NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

export interface DeploymentSpec {
  replicas: number;
  strategyType: 'RollingUpdate' | 'Recreate';
  maxSurge: unknown;
  maxUnavailable: unknown;
  minReadySeconds: number;
  /** Undefined: keep every old ReplicaSet. */
  revisionHistoryLimit: number | undefined;
  /** Undefined: no deadline, no Progressing condition. */
  progressDeadlineSeconds: number | undefined;
  paused: boolean;
  selector: JsonObject | undefined;
  template: JsonObject;
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);
const optNum = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Kubernetes treats MaxInt32 as "no deadline" (HasProgressDeadline). */
const NO_DEADLINE = 2 ** 31 - 1;

export function deploymentSpec(d: KubeObject): DeploymentSpec {
  const spec = optionalRecord(d, 'spec') ?? {};
  const strategy = optionalRecord(spec, 'strategy') ?? {};
  const rolling = optionalRecord(strategy, 'rollingUpdate') ?? {};
  const deadline = optNum(spec.progressDeadlineSeconds);
  return {
    replicas: num(spec.replicas, 1),
    strategyType: strategy.type === 'Recreate' ? 'Recreate' : 'RollingUpdate',
    maxSurge: rolling.maxSurge,
    maxUnavailable: rolling.maxUnavailable,
    minReadySeconds: num(spec.minReadySeconds, 0),
    revisionHistoryLimit: optNum(spec.revisionHistoryLimit),
    progressDeadlineSeconds: deadline === NO_DEADLINE ? undefined : deadline,
    paused: spec.paused === true,
    selector: optionalRecord(spec, 'selector'),
    template: optionalRecord(spec, 'template') ?? {},
  };
}

/** spec.replicas of a ReplicaSet. */
export function specReplicas(rs: KubeObject): number {
  return num(optionalRecord(rs, 'spec')?.replicas, 0);
}

/** A numeric status field (replicas, readyReplicas, availableReplicas, observedGeneration). */
export function statusNumber(obj: KubeObject, field: string): number {
  return num(optionalRecord(obj, 'status')?.[field], 0);
}

export function annotationsOf(obj: KubeObject): Record<string, string> {
  const a = obj.metadata?.annotations;
  return isRecord(a) ? a : {};
}

/** The revision annotation as a number; 0 when absent or malformed. */
export function revisionOf(obj: KubeObject): number {
  const n = Number(annotationsOf(obj)[REVISION_ANNOTATION]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export function creationMs(obj: KubeObject): number {
  const t = Date.parse(obj.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** Kubernetes' ReplicaSetsByCreationTimestamp: oldest first, ties by name. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  return creationMs(a) - creationMs(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** Kubernetes' ReplicaSetsByRevision: lowest revision first, ties by creation. */
export function byRevision(a: KubeObject, b: KubeObject): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** The controlling ownerReference, when there is one. */
export function controllerRefOf(obj: KubeObject): JsonObject | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
}
