/**
 * The Job controller's decision, pure (Kubernetes' syncJob + manageJob arithmetic): from the
 * spec, the pods counted so far and the clock, whether the Job finishes now and how many pods
 * should be active.
 */
import type { Finish, JobSpec } from './job-spec.ts';

export interface JobObservation {
  spec: JobSpec;
  /** Finished pods, counted and not yet counted. */
  succeeded: number;
  failed: number;
  /** Pods neither finished nor terminating. */
  active: number;
  /** The stored status.startTime (epoch ms). */
  startTime: number | undefined;
  now: number;
}

export interface JobDecision {
  /** Set when the Job finishes with this sync. */
  finish?: Finish;
  /** Pods that should be active once this sync has acted. */
  wantActive: number;
  /** status.startTime to write: set when the Job first runs, cleared while suspended (a resume restarts the deadline). */
  startTime: number | undefined;
  /** When activeDeadlineSeconds runs out (epoch ms), while the Job runs. */
  deadlineAt?: number;
}

export function decideJob(o: JobObservation): JobDecision {
  const { spec } = o;
  if (spec.suspend) return { wantActive: 0, startTime: undefined };
  const startTime = o.startTime ?? o.now;
  const deadlineAt = spec.activeDeadlineSeconds === undefined ? undefined : startTime + spec.activeDeadlineSeconds * 1000;
  const finish = finishOf(o, deadlineAt);
  if (finish) return { finish, wantActive: 0, startTime };
  return { wantActive: wantActive(o), startTime, deadlineAt };
}

function finishOf(o: JobObservation, deadlineAt: number | undefined): Finish | undefined {
  if (o.failed > o.spec.backoffLimit) return { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
  if (deadlineAt !== undefined && o.now >= deadlineAt) return { type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
  const complete = o.spec.completions === undefined ? o.succeeded > 0 && o.active === 0 : o.succeeded >= o.spec.completions;
  if (complete) return { type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
  return undefined;
}

/**
 * Never more than `parallelism`, never more than the completions still missing; a work queue
 * (no completions) starts `parallelism` pods and, once one succeeded, starts no more.
 */
function wantActive(o: JobObservation): number {
  const { completions, parallelism } = o.spec;
  const want = completions === undefined ? (o.succeeded > 0 ? o.active : parallelism) : completions - o.succeeded;
  return Math.max(0, Math.min(want, parallelism));
}
