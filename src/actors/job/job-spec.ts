/**
 * What the Job controller reads off a Job (spec fields with Kubernetes' defaults, the stored
 * status) and the finished conditions it writes (`Complete`, `Failed`: what
 * `kubectl wait --for=condition=complete` and `kubectl get jobs` read).
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';

export interface JobSpec {
  /** undefined = a work queue: done when any pod succeeded and none is running. */
  completions: number | undefined;
  parallelism: number;
  backoffLimit: number;
  activeDeadlineSeconds: number | undefined;
  ttlSecondsAfterFinished: number | undefined;
  suspend: boolean;
}

export type FinishedType = 'Complete' | 'Failed';

/** Why a Job finished (the condition's reason and message, and the Event recorded). */
export interface Finish {
  type: FinishedType;
  reason: string;
  message: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function jobSpec(job: KubeObject): JobSpec {
  const spec = isRecord(job.spec) ? job.spec : {};
  return {
    completions: num(spec.completions),
    parallelism: Math.max(0, num(spec.parallelism) ?? 1),
    backoffLimit: num(spec.backoffLimit) ?? 6,
    activeDeadlineSeconds: num(spec.activeDeadlineSeconds),
    ttlSecondsAfterFinished: num(spec.ttlSecondsAfterFinished),
    suspend: spec.suspend === true,
  };
}

export function jobStatus(job: KubeObject): JsonObject {
  return isRecord(job.status) ? job.status : {};
}

/** The Job's true Complete or Failed condition, with the epoch ms it was set. */
export function finishedCondition(job: KubeObject): { type: FinishedType; at: number } | undefined {
  for (const c of recordList(jobStatus(job), 'conditions')) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') {
      const at = Date.parse(String(c.lastTransitionTime ?? ''));
      return { type: c.type, at: Number.isNaN(at) ? 0 : at };
    }
  }
  return undefined;
}

/** A condition as Kubernetes writes Job conditions. */
export function jobCondition(type: string, status: 'True' | 'False', reason: string, message: string, at: number): JsonObject {
  const time = toKubernetesTime(at);
  return { type, status, lastProbeTime: time, lastTransitionTime: time, reason, message };
}

/** Epoch ms of a stored Kubernetes Time, or undefined. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}
