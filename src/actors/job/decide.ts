/**
 * The Job controller's arithmetic, pure and Kubernetes-named (syncJob + manageJob in
 * pkg/controller/job): when a Job fails or completes, and how many pods should be active. The
 * Job machine's guards and actions call these; nothing else decides.
 */
import type { Finish, JobSpec } from './job-spec.ts';

export const BACKOFF_LIMIT_EXCEEDED: Finish = { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
export const DEADLINE_EXCEEDED: Finish = { type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
export const COMPLETIONS_REACHED: Finish = { type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };

/** More pods failed than `backoffLimit` allows. */
export function exceedsBackoffLimit(spec: JobSpec, failed: number): boolean {
  return failed > spec.backoffLimit;
}

/** When `activeDeadlineSeconds` runs out for a Job started at `startTime` (epoch ms); undefined without one. */
export function activeDeadlineAt(spec: JobSpec, startTime: number): number | undefined {
  return spec.activeDeadlineSeconds === undefined ? undefined : startTime + spec.activeDeadlineSeconds * 1000;
}

/** The Job, started at `startTime`, has run out its `activeDeadlineSeconds` at `now`. */
export function pastActiveDeadline(spec: JobSpec, startTime: number, now: number): boolean {
  const deadline = activeDeadlineAt(spec, startTime);
  return deadline !== undefined && now >= deadline;
}

/**
 * `completions` pods succeeded; a work queue (no completions) is complete once one pod
 * succeeded and none is active any more.
 */
export function completionsReached(spec: JobSpec, succeeded: number, active: number): boolean {
  return spec.completions === undefined ? succeeded > 0 && active === 0 : succeeded >= spec.completions;
}

/**
 * Pods that should be active: never more than `parallelism`, never more than the completions
 * still missing; a work queue (no completions) starts `parallelism` pods and, once one
 * succeeded, starts no more.
 */
export function wantActive(spec: JobSpec, succeeded: number, active: number): number {
  const { completions, parallelism } = spec;
  const want = completions === undefined ? (succeeded > 0 ? active : parallelism) : completions - succeeded;
  return Math.max(0, Math.min(want, parallelism));
}
