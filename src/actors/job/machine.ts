/**
 * The Job machine: pending → running ⇄ suspended → complete | failed. Pure: it is fed what each
 * sync of the Job controller saw (`job.synced`) and decides nothing the controller acts on; it
 * is the Job's lifecycle as the inspection stream and the visualizer show it, and it records
 * the lifecycle Events Kubernetes' Job controller records (Suspended, Resumed, Completed,
 * BackoffLimitExceeded, DeadlineExceeded) through the named action `recordEvent`.
 *
 * A machine spawned for a Job already finished or suspended (a new leader, a restart) goes
 * straight to that state without recording the Event again.
 */
import { setup } from 'xstate';
import type { Finish, FinishedType } from './job-spec.ts';

export interface JobEventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What one sync saw. */
export interface JobSynced {
  type: 'job.synced';
  active: number;
  succeeded: number;
  failed: number;
  suspended: boolean;
  /** The Job finished with this sync. */
  finish?: Finish;
}

export interface JobMachineInput {
  /** The stored Job's finished condition, if any. */
  finished?: FinishedType;
  suspended: boolean;
}

export interface JobContext {
  active: number;
  succeeded: number;
  failed: number;
  finished?: FinishedType;
  suspended: boolean;
}

/** The Event a finish records (Completed, or the failure's reason). */
function finishRecord(event: JobSynced): JobEventRecord {
  const finish = event.finish;
  if (finish?.type === 'Complete') return { type: 'Normal', reason: 'Completed', message: 'Job completed' };
  return { type: 'Warning', reason: finish?.reason ?? 'Failed', message: finish?.message ?? 'Job failed' };
}

const base = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobSynced,
    input: {} as JobMachineInput,
  },
  actions: {
    recordEvent: (_, _params: JobEventRecord) => {},
  },
  guards: {
    storedComplete: ({ context }) => context.finished === 'Complete',
    storedFailed: ({ context }) => context.finished === 'Failed',
    storedSuspended: ({ context }) => context.suspended,
    completes: ({ event }) => event.finish?.type === 'Complete',
    fails: ({ event }) => event.finish?.type === 'Failed',
    suspended: ({ event }) => event.suspended,
    resumed: ({ event }) => !event.suspended,
  },
});

const count = base.assign(({ event }) => ({ active: event.active, succeeded: event.succeeded, failed: event.failed, suspended: event.suspended }));
const recordFinish = base.enqueueActions(({ event, enqueue }) => {
  enqueue.assign({ finished: event.finish?.type });
  enqueue({ type: 'recordEvent', params: finishRecord(event) });
});
const record = (params: JobEventRecord) => ({ type: 'recordEvent' as const, params });

/** A sync that finished the Job ends it from any live state. */
const FINISHES = [
  { guard: 'completes', target: '#job.complete', actions: [count, recordFinish] },
  { guard: 'fails', target: '#job.failed', actions: [count, recordFinish] },
] as const;

/** The Job machine. Effect: `recordEvent` (params JobEventRecord), supplied with `jobMachine.provide({ actions })`. */
export const jobMachine = base.createMachine({
  id: 'job',
  context: ({ input }) => ({ active: 0, succeeded: 0, failed: 0, finished: input.finished, suspended: input.suspended }),
  initial: 'pending',
  states: {
    pending: {
      always: [
        { guard: 'storedComplete', target: 'complete' },
        { guard: 'storedFailed', target: 'failed' },
        { guard: 'storedSuspended', target: 'suspended' },
      ],
      on: {
        'job.synced': [...FINISHES, { guard: 'suspended', target: 'suspended', actions: count }, { target: 'running', actions: count }],
      },
    },
    running: {
      on: {
        'job.synced': [...FINISHES, { guard: 'suspended', target: 'suspended', actions: [count, record({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' })] }, { actions: count }],
      },
    },
    suspended: {
      on: {
        'job.synced': [...FINISHES, { guard: 'resumed', target: 'running', actions: [count, record({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' })] }, { actions: count }],
      },
    },
    complete: { type: 'final' },
    failed: { type: 'final' },
  },
});

export type JobMachine = typeof jobMachine;
