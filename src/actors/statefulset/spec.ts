/**
 * A StatefulSet's spec read with Kubernetes' defaults (the API server defaults them on create; a
 * cached object from an older writer may still lack one): replicas, ordinals, pod management,
 * update strategy, minReadySeconds, the claim templates and the claim retention policy.
 */
import { isRecord, optionalRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { scaledValue } from '../deployment/fenceposts.ts';

export type RetentionPolicyType = 'Retain' | 'Delete';

export interface StatefulSetSpec {
  replicas: number;
  /** `spec.ordinals.start` (0 when unset): the first ordinal. */
  start: number;
  /** `podManagementPolicy: Parallel`: pods are created and deleted at once, not one by one in order. */
  parallel: boolean;
  serviceName: string;
  strategy: 'RollingUpdate' | 'OnDelete';
  /** RollingUpdate: pods whose index (ordinal − start) is below it keep the current revision. */
  partition: number;
  /** RollingUpdate: `maxUnavailable` as given (int or percent; default 1). */
  maxUnavailable: unknown;
  minReadySeconds: number;
  revisionHistoryLimit: number;
  /** `spec.volumeClaimTemplates`. */
  claimTemplates: JsonObject[];
  whenDeleted: RetentionPolicyType;
  whenScaled: RetentionPolicyType;
  template: JsonObject;
}

const int = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : fallback);
const policy = (v: unknown): RetentionPolicyType => (v === 'Delete' ? 'Delete' : 'Retain');

export function statefulSetSpec(set: KubeObject): StatefulSetSpec {
  const spec = isRecord(set.spec) ? set.spec : {};
  const strategy = optionalRecord(spec, 'updateStrategy') ?? {};
  const rolling = optionalRecord(strategy, 'rollingUpdate') ?? {};
  const retention = optionalRecord(spec, 'persistentVolumeClaimRetentionPolicy') ?? {};
  return {
    replicas: Math.max(0, int(spec.replicas, 1)),
    start: Math.max(0, int(optionalRecord(spec, 'ordinals')?.start, 0)),
    parallel: spec.podManagementPolicy === 'Parallel',
    serviceName: typeof spec.serviceName === 'string' ? spec.serviceName : '',
    strategy: strategy.type === 'OnDelete' ? 'OnDelete' : 'RollingUpdate',
    partition: Math.max(0, int(rolling.partition, 0)),
    maxUnavailable: rolling.maxUnavailable ?? 1,
    minReadySeconds: Math.max(0, int(spec.minReadySeconds, 0)),
    revisionHistoryLimit: Math.max(0, int(spec.revisionHistoryLimit, 10)),
    claimTemplates: recordList(spec, 'volumeClaimTemplates'),
    whenDeleted: policy(retention.whenDeleted),
    whenScaled: policy(retention.whenScaled),
    template: optionalRecord(spec, 'template') ?? {},
  };
}

/**
 * Kubernetes' getStatefulSetMaxUnavailable: maxUnavailable of the replicas, a percentage rounded
 * down, never below 1 (a malformed value, which validation refuses, counts as 1).
 */
export function maxUnavailableOf(spec: StatefulSetSpec): number {
  let n: number;
  try {
    n = scaledValue('maxUnavailable', spec.maxUnavailable, spec.replicas, false);
  } catch {
    n = 1;
  }
  return Math.max(1, n);
}

/** The last ordinal the set keeps (start + replicas − 1). */
export const endOrdinal = (spec: StatefulSetSpec): number => spec.start + spec.replicas - 1;
