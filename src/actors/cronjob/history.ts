/**
 * CronJob history cleanup (successfulJobsHistoryLimit / failedJobsHistoryLimit): of the finished
 * Jobs, the oldest beyond each limit go.
 */
import type { FinishedJob } from './jobs.ts';

export function jobsBeyondHistory(jobs: readonly FinishedJob[], successfulLimit: number, failedLimit: number): FinishedJob[] {
  const ofType = (type: FinishedJob['type']): FinishedJob[] => jobs.filter((j) => j.type === type).sort((a, b) => b.scheduledAt - a.scheduledAt);
  return [...ofType('Complete').slice(Math.max(0, successfulLimit)), ...ofType('Failed').slice(Math.max(0, failedLimit))];
}
