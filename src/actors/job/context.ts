/**
 * What the Job machine remembers and what it is told. Times are epoch ms from the observations
 * (the controller's clock); `status.ts` renders the context as the Job's status and reads a
 * stored Job back into one, so a new leader's machine starts where the last one left off.
 */
import type { Finish, JobSpec } from './job-spec.ts';
import type { Uncounted } from './tracking.ts';

/**
 * What one sync of the Job controller saw (its informers' Job and pods, its expectations), stamped
 * with the controller's clock. Facts only: what to do about them is the machine's.
 */
export interface JobObserved {
  type: 'job.observed';
  at: number;
  spec: JobSpec;
  /** The Job is being deleted: its pods are the garbage collector's. */
  deleting: boolean;
  /** Finished pods already counted into status.succeeded / status.failed. */
  counted: { succeeded: number; failed: number };
  /** Finished pods listed in status.uncountedTerminatedPods, not yet counted (tracking.ts). */
  uncounted: Uncounted;
  /** Pods neither finished nor terminating. */
  active: number;
  ready: number;
  /** No create or delete of this Job's is still on its way back through the watch (expectations). */
  expectationsSatisfied: boolean;
  /** Until when failed pods hold back new ones (backoff.ts); undefined when none do. */
  podBackoffUntil?: number;
  /** Pods whose tracking finalizer may go once this observation's status is written. */
  releasable: number;
}

/** The machine's own alarm (a delayed event on the actor's clock): time to observe again. */
export interface JobRecheck {
  type: 'job.recheck';
}

export type JobMachineEvent = JobObserved | JobRecheck;

/** How the Job finished, and when. */
export interface JobFinish extends Finish {
  at: number;
}

/** The Job's `Suspended` condition: True while suspended, False once resumed. */
export interface Suspension {
  suspended: boolean;
  at: number;
}

export interface JobContext {
  spec: JobSpec;
  /** When the latest observation was made. */
  at: number;
  /** Active pods once this observation's creates and deletes are made (Kubernetes counts them at once). */
  active: number;
  ready: number;
  /** Finished pods counted into the status. */
  succeeded: number;
  failed: number;
  uncounted: Uncounted;
  /** Set when the Job first runs; cleared while suspended (a resume restarts the deadline). */
  startTime?: number;
  completionTime?: number;
  finish?: JobFinish;
  suspension?: Suspension;
  podBackoffUntil?: number;
}

/** A machine starts from the stored Job (status.ts: `jobMachineInput`). */
export type JobMachineInput = JobContext;

/** Finished pods, counted or not yet: what decisions count. */
export function succeededOf(o: JobObserved): number {
  return o.counted.succeeded + o.uncounted.succeeded.length;
}

export function failedOf(o: JobObserved): number {
  return o.counted.failed + o.uncounted.failed.length;
}
