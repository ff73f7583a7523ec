/**
 * The Job machine (batch/v1 Job): the Job's lifecycle, and the one place its decisions are taken.
 *
 *   pending ─▶ active ⇄ backingOff        (pods run; failed ones hold back replacements)
 *      │         ⇅           ⇅
 *      └──────▶ suspended                  (no pods; the deadline clock stops)
 *   any of these ─▶ complete | failed      (final: never left, only tidied)
 *
 * Each sync of the Job controller sends what it saw (`job.observed`: counts, expectations, the
 * spec, the time). Guards choose, in Kubernetes' order: more failures than backoffLimit → failed
 * (BackoffLimitExceeded); suspend → suspended; past activeDeadlineSeconds → failed
 * (DeadlineExceeded); completions reached → complete; replacements still held back by the pod
 * failure back-off → backingOff; else active. The actions on the chosen transition act:
 * `keepWantedPods` creates or deletes pods toward `wantActive` (decide.ts), `trimExcessPods` only
 * deletes, `deleteActivePods` deletes them all; all three only while no earlier create or delete
 * is still on its way back through the watch (`mayManagePods`: the controller's expectations).
 * `reportStatus` then writes the status rendered from the context (status.ts) and, once that is
 * written, lets the counted pods go; `armRecheck` sets the machine's alarm (`job.recheck`, a
 * delayed event on the actor's clock) for the next time something is due: the active deadline,
 * the end of the pod back-off, or ttlSecondsAfterFinished, when the controller observes again.
 * A finished Job whose TTL ran out is deleted (`deleteJob`).
 *
 * Effects (named, supplied by the controller with `jobMachine.provide({ actions })`):
 * `createPods` / `deletePods` ({ count }), `writeStatus` ({ status }), `releasePods`,
 * `deleteJob`, `recordEvent` (JobEventRecord), `requeue` (observe again).
 *
 * A machine spawned for a stored Job (a new leader, a restart) starts from its status
 * (status.ts: `jobMachineInput`): a finished or suspended Job goes straight to that state without
 * recording its Event again.
 */
import { setup } from 'xstate';
import type { JsonObject } from '../../api/object.ts';
import { failedOf, succeededOf, type JobContext, type JobMachineEvent, type JobMachineInput, type JobObserved } from './context.ts';
import {
  activeDeadlineAt,
  BACKOFF_LIMIT_EXCEEDED,
  COMPLETIONS_REACHED,
  completionsReached,
  DEADLINE_EXCEEDED,
  exceedsBackoffLimit,
  pastActiveDeadline,
  wantActive,
} from './decide.ts';
import type { Finish } from './job-spec.ts';
import { jobStatusOf } from './status.ts';

export interface JobEventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The id of the machine's one pending alarm. */
const RECHECK = 'recheck';

function observed(event: JobMachineEvent): JobObserved | undefined {
  return event.type === 'job.observed' ? event : undefined;
}

/** Succeeded pods counted or listed: what `wantActive` counts. */
function succeededIn(c: JobContext): number {
  return c.succeeded + c.uncounted.succeeded.length;
}

/**
 * When the machine must look again even if nothing else happens: a finished Job when its TTL runs
 * out; a running one at its active deadline or when the pod back-off ends, whichever is first.
 */
export function nextRecheckAt(c: JobContext): number | undefined {
  if (c.finish) return c.spec.ttlSecondsAfterFinished === undefined ? undefined : c.finish.at + c.spec.ttlSecondsAfterFinished * 1000;
  if (c.suspension?.suspended || c.startTime === undefined) return undefined;
  const due = [activeDeadlineAt(c.spec, c.startTime), c.podBackoffUntil].filter((t): t is number => t !== undefined && t > c.at);
  return due.length > 0 ? Math.min(...due) : undefined;
}

function finishRecord(f: Finish): JobEventRecord {
  return f.type === 'Complete' ? { type: 'Normal', reason: 'Completed', message: 'Job completed' } : { type: 'Warning', reason: f.reason, message: f.message };
}

/** The effects and the guards; the decisions below are built on them. */
const effects = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobMachineEvent,
    input: {} as JobMachineInput,
  },
  actions: {
    createPods: (_, _params: { count: number }) => {},
    deletePods: (_, _params: { count: number }) => {},
    writeStatus: (_, _params: { status: JsonObject }) => {},
    releasePods: () => {},
    deleteJob: () => {},
    recordEvent: (_, _params: JobEventRecord) => {},
    requeue: () => {},
  },
  guards: {
    storedComplete: ({ context }) => context.finish?.type === 'Complete',
    storedFailed: ({ context }) => context.finish?.type === 'Failed',
    storedSuspended: ({ context }) => context.suspension?.suspended === true,
    exceedsBackoffLimit: ({ event }) => {
      const o = observed(event);
      return o !== undefined && exceedsBackoffLimit(o.spec, failedOf(o));
    },
    suspendRequested: ({ event }) => observed(event)?.spec.suspend === true,
    pastActiveDeadline: ({ context, event }) => {
      const o = observed(event);
      return o !== undefined && pastActiveDeadline(o.spec, context.startTime ?? o.at, o.at);
    },
    completionsReached: ({ event }) => {
      const o = observed(event);
      return o !== undefined && completionsReached(o.spec, succeededOf(o), o.active);
    },
    /** More pods are wanted, but failed ones hold new pods back until the back-off ends. */
    podBackoffHolds: ({ event }) => {
      const o = observed(event);
      if (o?.podBackoffUntil === undefined || o.at >= o.podBackoffUntil) return false;
      return wantActive(o.spec, succeededOf(o), o.active) > o.active;
    },
    ttlExpired: ({ context, event }) => {
      const o = observed(event);
      const ttl = o?.spec.ttlSecondsAfterFinished;
      return o !== undefined && !o.deleting && context.finish !== undefined && ttl !== undefined && o.at >= context.finish.at + ttl * 1000;
    },
    /** Pods may be created or deleted: the watch has caught up with the last round, and the Job is not being deleted. */
    mayManagePods: ({ event }) => {
      const o = observed(event);
      return o !== undefined && o.expectationsSatisfied && !o.deleting;
    },
  },
});

/** A finishing transition: the condition (and completionTime) to write, and its Event. */
function finishing(f: Finish) {
  return effects.enqueueActions(({ context, enqueue }) => {
    enqueue.assign({ finish: { ...f, at: context.at }, ...(f.type === 'Complete' ? { completionTime: context.at } : {}) });
    enqueue({ type: 'recordEvent', params: finishRecord(f) });
  });
}

const decisions = effects.extend({
  actions: {
    /** Takes in what the sync saw. */
    observe: effects.assign(({ context, event }) => {
      const o = observed(event);
      if (!o) return context;
      return {
        spec: o.spec,
        at: o.at,
        active: o.active,
        ready: o.ready,
        succeeded: o.counted.succeeded,
        failed: o.counted.failed,
        uncounted: o.uncounted,
        podBackoffUntil: o.podBackoffUntil,
      };
    }),
    markStarted: effects.assign(({ context }) => (context.startTime === undefined ? { startTime: context.at } : {})),
    markSuspended: effects.enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ startTime: undefined, suspension: { suspended: true, at: context.at } });
      enqueue({ type: 'recordEvent', params: { type: 'Normal', reason: 'Suspended', message: 'Job suspended' } });
    }),
    markResumed: effects.enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ suspension: { suspended: false, at: context.at } });
      enqueue({ type: 'recordEvent', params: { type: 'Normal', reason: 'Resumed', message: 'Job resumed' } });
    }),
    markBackoffLimitExceeded: finishing(BACKOFF_LIMIT_EXCEEDED),
    markDeadlineExceeded: finishing(DEADLINE_EXCEEDED),
    markCompleted: finishing(COMPLETIONS_REACHED),
    /** Creates or deletes pods so `wantActive` run (Kubernetes' manageJob). */
    keepWantedPods: effects.enqueueActions(({ context, enqueue, check }) => {
      if (!check('mayManagePods')) return;
      const want = wantActive(context.spec, succeededIn(context), context.active);
      if (want > context.active) enqueue({ type: 'createPods', params: { count: want - context.active } });
      if (want < context.active) enqueue({ type: 'deletePods', params: { count: context.active - want } });
      enqueue.assign({ active: want });
    }),
    /** While backing off: pods beyond `wantActive` go, none is created. */
    trimExcessPods: effects.enqueueActions(({ context, enqueue, check }) => {
      if (!check('mayManagePods')) return;
      const want = wantActive(context.spec, succeededIn(context), context.active);
      if (want >= context.active) return;
      enqueue({ type: 'deletePods', params: { count: context.active - want } });
      enqueue.assign({ active: want });
    }),
    /** Suspended or finished: no pod may run. */
    deleteActivePods: effects.enqueueActions(({ context, enqueue, check }) => {
      if (!check('mayManagePods') || context.active === 0) return;
      enqueue({ type: 'deletePods', params: { count: context.active } });
      enqueue.assign({ active: 0 });
    }),
    /** Writes the status the context renders; then the pods it counts may be let go. */
    reportStatus: effects.enqueueActions(({ context, event, enqueue }) => {
      enqueue({ type: 'writeStatus', params: { status: jobStatusOf(context) } });
      if ((observed(event)?.releasable ?? 0) > 0) enqueue('releasePods');
    }),
    /** One alarm at a time: the next time something is due. */
    armRecheck: effects.enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(RECHECK);
      const at = nextRecheckAt(context);
      if (at !== undefined && at > context.at) enqueue.raise({ type: 'job.recheck' }, { id: RECHECK, delay: at - context.at });
    }),
  },
});

/** After the decision, every observation acts the same way for its target state. */
const RUN = ['keepWantedPods', 'reportStatus', 'armRecheck'] as const;
const HOLD = ['trimExcessPods', 'reportStatus', 'armRecheck'] as const;
const STOP = ['deleteActivePods', 'reportStatus', 'armRecheck'] as const;

/** What a live Job (pending, active, backingOff, suspended) does with an observation, first guard first. */
function decide(from: 'pending' | 'active' | 'backingOff' | 'suspended') {
  // Leaving `suspended` for a running state resumes the Job (Suspended False, Event Resumed).
  const resume = from === 'suspended' ? (['markResumed'] as const) : ([] as const);
  const suspend =
    from === 'suspended'
      ? ({ guard: 'suspendRequested', actions: ['observe', ...STOP] } as const)
      : ({ guard: 'suspendRequested', target: 'suspended', actions: ['observe', 'markSuspended', ...STOP] } as const);
  return [
    { guard: 'exceedsBackoffLimit', target: 'failed', actions: ['observe', 'markStarted', 'markBackoffLimitExceeded', ...STOP] },
    suspend,
    { guard: 'pastActiveDeadline', target: 'failed', actions: ['observe', 'markStarted', ...resume, 'markDeadlineExceeded', ...STOP] },
    { guard: 'completionsReached', target: 'complete', actions: ['observe', 'markStarted', ...resume, 'markCompleted', ...STOP] },
    { guard: 'podBackoffHolds', target: 'backingOff', actions: ['observe', 'markStarted', ...resume, ...HOLD] },
    { target: 'active', actions: ['observe', 'markStarted', ...resume, ...RUN] },
  ] as const;
}

/** A finished Job only tidies: its remaining pods go, its counts settle, its TTL deletes it. */
const TIDY = [
  { guard: 'ttlExpired', actions: ['observe', 'deleteActivePods', 'reportStatus', 'deleteJob'] },
  { actions: ['observe', ...STOP] },
] as const;

export const jobMachine = decisions.createMachine({
  id: 'job',
  context: ({ input }) => input,
  initial: 'pending',
  on: { 'job.recheck': { actions: 'requeue' } },
  states: {
    /** Spawned, not yet observed. */
    pending: {
      always: [
        { guard: 'storedComplete', target: 'complete' },
        { guard: 'storedFailed', target: 'failed' },
        { guard: 'storedSuspended', target: 'suspended' },
      ],
      on: { 'job.observed': decide('pending') },
    },
    active: { on: { 'job.observed': decide('active') } },
    backingOff: { on: { 'job.observed': decide('backingOff') } },
    suspended: { on: { 'job.observed': decide('suspended') } },
    complete: { on: { 'job.observed': TIDY } },
    failed: { on: { 'job.observed': TIDY } },
  },
});

export type JobMachine = typeof jobMachine;
