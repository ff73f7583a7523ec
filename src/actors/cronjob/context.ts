/**
 * What the CronJob machine remembers and what it is told. Times are epoch ms from the
 * observations (the controller's clock); `status.ts` renders the context as the CronJob's status
 * and reads a stored CronJob back into one.
 */
import type { CronJobSpec } from './cronjob-spec.ts';
import type { FinishedJob, JobRef } from './jobs.ts';

/** What one sync of the CronJob controller saw, stamped with its clock. Facts only. */
export interface CronJobObserved {
  type: 'cronjob.observed';
  at: number;
  spec: CronJobSpec;
  /** The CronJob's creation: where its schedule starts when it never ran. */
  createdAt: number;
  /** The CronJob is being deleted: it starts nothing more. */
  deleting: boolean;
  /** Its Jobs still running. */
  active: JobRef[];
  /** Its finished Jobs. */
  finished: FinishedJob[];
  /** No Job it created is still on its way back through the watch (expectations). */
  expectationsSatisfied: boolean;
}

/** The effect layer created (or found already made) the Job for `scheduledAt`. */
export interface CronJobJobStarted {
  type: 'cronjob.jobStarted';
  job: JobRef;
  scheduledAt: number;
}

/** The machine's own alarm (a delayed event on the actor's clock): the next scheduled time. */
export interface CronJobRecheck {
  type: 'cronjob.recheck';
}

export type CronJobMachineEvent = CronJobObserved | CronJobJobStarted | CronJobRecheck;

export interface CronJobContext {
  spec: CronJobSpec;
  /** When the latest observation was made. */
  at: number;
  createdAt: number;
  /** Its running Jobs, as status.active lists them. */
  active: JobRef[];
  /** The latest scheduled time a Job was started for. */
  lastScheduleTime?: number;
  /** When its latest successful Job completed. */
  lastSuccessfulTime?: number;
}

/** A machine starts from the stored CronJob (status.ts: `cronJobMachineInput`). */
export type CronJobMachineInput = CronJobContext;
