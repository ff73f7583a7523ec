/**
 * The CronJob status is a pure function of the CronJob machine's context (active, lastScheduleTime,
 * lastSuccessfulTime), and a stored CronJob reads back into a context: what a machine spawned by
 * a new leader starts from, so a time already run is not run again.
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { parseTime } from '../job/job-spec.ts';
import type { CronJobContext, CronJobMachineInput } from './context.ts';
import { cronJobSpec } from './cronjob-spec.ts';
import { jobReference, type JobRef } from './jobs.ts';

export function cronJobStatusOf(c: CronJobContext): JsonObject {
  const status: JsonObject = {};
  if (c.active.length > 0) status.active = c.active.map(jobReference);
  if (c.lastScheduleTime !== undefined) status.lastScheduleTime = toKubernetesTime(c.lastScheduleTime);
  if (c.lastSuccessfulTime !== undefined) status.lastSuccessfulTime = toKubernetesTime(c.lastSuccessfulTime);
  return status;
}

/** The context the stored `cronJob` describes, observed at `now`. */
export function cronJobMachineInput(cronJob: KubeObject, now: number): CronJobMachineInput {
  const status = isRecord(cronJob.status) ? cronJob.status : {};
  const active = recordList(status, 'active').map((r): JobRef => {
    const ref: JobRef = { name: String(r.name ?? ''), uid: String(r.uid ?? '') };
    if (typeof r.namespace === 'string') ref.namespace = r.namespace;
    if (typeof r.resourceVersion === 'string') ref.resourceVersion = r.resourceVersion;
    return ref;
  });
  const input: CronJobMachineInput = { spec: cronJobSpec(cronJob), at: now, createdAt: parseTime(cronJob.metadata?.creationTimestamp) ?? now, active };
  const lastScheduleTime = parseTime(status.lastScheduleTime);
  const lastSuccessfulTime = parseTime(status.lastSuccessfulTime);
  if (lastScheduleTime !== undefined) input.lastScheduleTime = lastScheduleTime;
  if (lastSuccessfulTime !== undefined) input.lastSuccessfulTime = lastSuccessfulTime;
  return input;
}
