/**
 * CronJob history cleanup (successfulJobsHistoryLimit / failedJobsHistoryLimit): of the finished
 * Jobs, the oldest beyond each limit go.
 */
import type { KubeObject } from '../../api/object.ts';
import { finishedCondition } from '../job/job-spec.ts';

export function jobsBeyondHistory(jobs: readonly KubeObject[], successfulLimit: number, failedLimit: number): KubeObject[] {
  const byAge = (a: KubeObject, b: KubeObject): number => startOf(b) - startOf(a);
  const ofType = (type: 'Complete' | 'Failed'): KubeObject[] => jobs.filter((j) => finishedCondition(j)?.type === type).sort(byAge);
  return [...ofType('Complete').slice(Math.max(0, successfulLimit)), ...ofType('Failed').slice(Math.max(0, failedLimit))];
}

/** The scheduled time, else the creation time (newest first ordering). */
function startOf(job: KubeObject): number {
  const scheduled = Date.parse(job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'] ?? '');
  if (!Number.isNaN(scheduled)) return scheduled;
  const created = Date.parse(job.metadata?.creationTimestamp ?? '');
  return Number.isNaN(created) ? 0 : created;
}
