/**
 * What the CronJob controller reads off the Jobs it controls, as plain data its machine can hold:
 * a reference (what `status.active` lists, what a delete names), and, for a finished Job, how and
 * when it finished and the time it was scheduled for (what history and lastSuccessfulTime use).
 */
import { isRecord, type JsonObject, type KubeObject } from '../../api/object.ts';
import { finishedCondition, parseTime } from '../job/job-spec.ts';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** A Job as the CronJob refers to it. */
export interface JobRef {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion?: string;
}

export interface FinishedJob extends JobRef {
  type: 'Complete' | 'Failed';
  /** The time it was scheduled for, else its creation (history keeps the newest). */
  scheduledAt: number;
  /** When a Complete Job completed. */
  completedAt?: number;
}

export function jobRefOf(job: KubeObject): JobRef {
  const ref: JobRef = { name: job.metadata?.name ?? '', uid: job.metadata?.uid ?? '' };
  if (job.metadata?.namespace !== undefined) ref.namespace = job.metadata.namespace;
  if (job.metadata?.resourceVersion !== undefined) ref.resourceVersion = job.metadata.resourceVersion;
  return ref;
}

/** The finished Job's summary; undefined while it runs. */
export function finishedJobOf(job: KubeObject): FinishedJob | undefined {
  const finished = finishedCondition(job);
  if (!finished) return undefined;
  const out: FinishedJob = { ...jobRefOf(job), type: finished.type, scheduledAt: scheduledAtOf(job) };
  if (finished.type === 'Complete') out.completedAt = parseTime(isRecord(job.status) ? job.status.completionTime : undefined) ?? finished.at;
  return out;
}

function scheduledAtOf(job: KubeObject): number {
  return parseTime(job.metadata?.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION]) ?? parseTime(job.metadata?.creationTimestamp) ?? 0;
}

/** An ObjectReference to a Job, as status.active lists them. */
export function jobReference(ref: JobRef): JsonObject {
  const out: JsonObject = { kind: 'Job', name: ref.name, uid: ref.uid, apiVersion: 'batch/v1' };
  if (ref.namespace !== undefined) out.namespace = ref.namespace;
  if (ref.resourceVersion !== undefined) out.resourceVersion = ref.resourceVersion;
  return out;
}
