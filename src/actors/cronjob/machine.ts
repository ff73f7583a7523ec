/**
 * The CronJob machine (batch/v1 CronJob): when a Job runs, and the one place that is decided.
 *
 *   waiting ⇄ running      (none / some of its Jobs still run; `always`, on the context)
 *      ⇅         ⇅
 *        suspended          (spec.suspend: nothing starts)
 *
 * Each sync of the CronJob controller sends what it saw (`cronjob.observed`: its running and
 * finished Jobs, the spec, the time). Finished Jobs beyond the history limits are deleted
 * (`trimHistory`). Then guards choose, first match first: the CronJob is being deleted, or a Job
 * it created has not come back through the watch yet (expectations) → nothing; suspend →
 * suspended; an unparseable schedule or time zone → an UnparseableSchedule Event, and wait for
 * the spec to change; no scheduled time due since the last one (within startingDeadlineSeconds,
 * schedule.ts) → wait; a time is due and concurrencyPolicy is Forbid while a Job runs → a
 * JobAlreadyActive Event, the time stays due and runs late once that Job finished (still within
 * the deadline), as Kubernetes does; Replace while Jobs run → delete them, then start the new one;
 * else (Allow, or nothing running) → start the Job for the most recent due time. More than 100
 * missed times record TooManyMissedTimes. Starting is an effect (`startJob`); the Job made comes
 * back as a fact (`cronjob.jobStarted`), which records lastScheduleTime and writes the status.
 * `armRecheck` sets the machine's alarm (`cronjob.recheck`, on the actor's clock) at the next
 * scheduled time, when the controller observes again.
 *
 * Effects (named, supplied by the controller with `cronJobMachine.provide({ actions })`):
 * `startJob` ({ scheduledAt }), `deleteJobs` ({ jobs }), `writeStatus` ({ status }),
 * `recordEvent` (CronJobEventRecord), `requeue` (observe again).
 */
import { setup } from 'xstate';
import type { JsonObject } from '../../api/object.ts';
import type { CronJobContext, CronJobMachineEvent, CronJobMachineInput, CronJobObserved } from './context.ts';
import { jobsBeyondHistory } from './history.ts';
import type { JobRef } from './jobs.ts';
import { dueTimes, MAX_MISSED, UnparseableScheduleError, type ScheduleTimes } from './schedule.ts';
import { cronJobStatusOf } from './status.ts';

export interface CronJobEventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The id of the machine's one pending alarm. */
const RECHECK = 'recheck';

function observed(event: CronJobMachineEvent): CronJobObserved | undefined {
  return event.type === 'cronjob.observed' ? event : undefined;
}

type ScheduleView = Pick<CronJobContext, 'spec' | 'createdAt' | 'at' | 'lastScheduleTime'>;

/** Answers of `dueTimes` already worked out: several guards and actions ask the same for one observation. */
const dueCache = new Map<string, ScheduleTimes | UnparseableScheduleError>();
const DUE_CACHE_SIZE = 1024;

/** The scheduled times due, counted from the last one run (else the creation). */
export function dueFor(c: ScheduleView): ScheduleTimes | UnparseableScheduleError {
  const since = c.lastScheduleTime ?? c.createdAt;
  const key = JSON.stringify([c.spec.schedule, c.spec.timeZone, c.spec.startingDeadlineSeconds, since, c.at]);
  let due = dueCache.get(key);
  if (due === undefined) {
    due = dueTimes(c.spec, since, c.at);
    if (dueCache.size >= DUE_CACHE_SIZE) dueCache.clear();
    dueCache.set(key, due);
  }
  return due;
}

/** What the schedule says at the observation, for the machine as it is before taking it in. */
function dueAt(context: CronJobContext, o: CronJobObserved): ScheduleTimes | UnparseableScheduleError {
  return dueFor({ spec: o.spec, createdAt: o.createdAt, at: o.at, lastScheduleTime: context.lastScheduleTime });
}

const sameJob = (a: JobRef, b: JobRef): boolean => a.uid === b.uid && a.name === b.name;

/** The effects and the guards; the decisions below are built on them. */
const effects = setup({
  types: {
    context: {} as CronJobContext,
    events: {} as CronJobMachineEvent,
    input: {} as CronJobMachineInput,
  },
  actions: {
    startJob: (_, _params: { scheduledAt: number }) => {},
    deleteJobs: (_, _params: { jobs: JobRef[] }) => {},
    writeStatus: (_, _params: { status: JsonObject }) => {},
    recordEvent: (_, _params: CronJobEventRecord) => {},
    requeue: () => {},
  },
  guards: {
    hasActive: ({ context }) => context.active.length > 0,
    noActive: ({ context }) => context.active.length === 0,
    deleting: ({ event }) => observed(event)?.deleting === true,
    /** A Job it created has not come back through the watch: what it sees may lack it. */
    awaitingWatch: ({ event }) => observed(event)?.expectationsSatisfied === false,
    suspendRequested: ({ event }) => observed(event)?.spec.suspend === true,
    scheduleUnparseable: ({ context, event }) => {
      const o = observed(event);
      return o !== undefined && dueAt(context, o) instanceof UnparseableScheduleError;
    },
    nothingDue: ({ context, event }) => {
      const o = observed(event);
      const due = o && dueAt(context, o);
      return due !== undefined && !(due instanceof UnparseableScheduleError) && due.mostRecent === undefined;
    },
    forbidConcurrent: ({ event }) => {
      const o = observed(event);
      return o?.spec.concurrencyPolicy === 'Forbid' && o.active.length > 0;
    },
    replaceActive: ({ event }) => {
      const o = observed(event);
      return o?.spec.concurrencyPolicy === 'Replace' && o.active.length > 0;
    },
    tooManyMissed: ({ context, event }) => {
      const o = observed(event);
      const due = o && dueAt(context, o);
      return due !== undefined && !(due instanceof UnparseableScheduleError) && due.missed > MAX_MISSED;
    },
  },
});

const decisions = effects.extend({
  actions: {
    /** Takes in what the sync saw; the latest completion seen is the last success. */
    observe: effects.assign(({ context, event }) => {
      const o = observed(event);
      if (!o) return context;
      const completions = o.finished.flatMap((j) => (j.completedAt === undefined ? [] : [j.completedAt]));
      const lastSuccessfulTime = Math.max(context.lastSuccessfulTime ?? -Infinity, ...completions);
      return {
        spec: o.spec,
        at: o.at,
        createdAt: o.createdAt,
        active: o.active,
        lastSuccessfulTime: Number.isFinite(lastSuccessfulTime) ? lastSuccessfulTime : undefined,
      };
    }),
    /** Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit go, oldest first. */
    trimHistory: effects.enqueueActions(({ context, event, enqueue }) => {
      const old = jobsBeyondHistory(observed(event)?.finished ?? [], context.spec.successfulJobsHistoryLimit, context.spec.failedJobsHistoryLimit);
      if (old.length > 0) enqueue({ type: 'deleteJobs', params: { jobs: old.map(({ name, namespace, uid }) => ({ name, namespace, uid })) } });
    }),
    recordUnparseable: effects.enqueueActions(({ context, enqueue }) => {
      const due = dueFor(context);
      if (due instanceof UnparseableScheduleError) enqueue({ type: 'recordEvent', params: { type: 'Warning', reason: 'UnparseableSchedule', message: due.message } });
    }),
    recordAlreadyActive: effects.enqueueActions(({ enqueue }) => {
      enqueue({ type: 'recordEvent', params: { type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' } });
    }),
    warnTooManyMissed: effects.enqueueActions(({ context, enqueue, check }) => {
      const due = dueFor(context);
      if (!check('tooManyMissed') || due instanceof UnparseableScheduleError) return;
      const message = `too many missed start times: ${due.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`;
      enqueue({ type: 'recordEvent', params: { type: 'Warning', reason: 'TooManyMissedTimes', message } });
    }),
    /** Replace: the running Jobs go before the new one starts. */
    deleteActiveJobs: effects.enqueueActions(({ context, enqueue }) => {
      enqueue({ type: 'deleteJobs', params: { jobs: context.active } });
      enqueue.assign({ active: [] });
    }),
    startDueJob: effects.enqueueActions(({ context, enqueue }) => {
      const due = dueFor(context);
      if (due instanceof UnparseableScheduleError || due.mostRecent === undefined) return;
      enqueue({ type: 'startJob', params: { scheduledAt: due.mostRecent } });
    }),
    /** The Job for a scheduled time exists: it runs, and that time is done. */
    noteJobStarted: effects.assign(({ context, event }) => {
      if (event.type !== 'cronjob.jobStarted') return context;
      return {
        active: [...context.active.filter((j) => !sameJob(j, event.job)), event.job],
        lastScheduleTime: Math.max(context.lastScheduleTime ?? -Infinity, event.scheduledAt),
      };
    }),
    reportStatus: effects.enqueueActions(({ context, enqueue }) => {
      enqueue({ type: 'writeStatus', params: { status: cronJobStatusOf(context) } });
    }),
    /** One alarm at a time: the next scheduled time. */
    armRecheck: effects.enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(RECHECK);
      const due = dueFor(context);
      if (!(due instanceof UnparseableScheduleError) && due.next > context.at) enqueue.raise({ type: 'cronjob.recheck' }, { id: RECHECK, delay: due.next - context.at });
    }),
    disarmRecheck: effects.cancel(RECHECK),
  },
});

/** Observations that change nothing: the CronJob is going, or the watch lags behind its own Job. */
const IGNORED = [{ guard: 'deleting' }, { guard: 'awaitingWatch' }] as const;

/** What a CronJob that is not suspended (or is resumed, `target` waiting) does with an observation. */
function schedule(target: 'waiting' | undefined) {
  return [
    { guard: 'scheduleUnparseable', target, actions: ['observe', 'trimHistory', 'recordUnparseable', 'reportStatus'] },
    { guard: 'nothingDue', target, actions: ['observe', 'trimHistory', 'reportStatus', 'armRecheck'] },
    { guard: 'forbidConcurrent', target, actions: ['observe', 'trimHistory', 'warnTooManyMissed', 'recordAlreadyActive', 'reportStatus', 'armRecheck'] },
    { guard: 'replaceActive', target, actions: ['observe', 'trimHistory', 'warnTooManyMissed', 'deleteActiveJobs', 'startDueJob', 'armRecheck'] },
    { target, actions: ['observe', 'trimHistory', 'warnTooManyMissed', 'startDueJob', 'armRecheck'] },
  ] as const;
}

const SCHEDULING = [...IGNORED, { guard: 'suspendRequested', target: 'suspended', actions: ['observe', 'trimHistory', 'reportStatus'] }, ...schedule(undefined)] as const;

export const cronJobMachine = decisions.createMachine({
  id: 'cronjob',
  context: ({ input }) => input,
  initial: 'waiting',
  on: {
    'cronjob.jobStarted': { actions: ['noteJobStarted', 'reportStatus'] },
    'cronjob.recheck': { actions: 'requeue' },
  },
  states: {
    /** None of its Jobs runs: the next scheduled time is awaited. */
    waiting: {
      always: { guard: 'hasActive', target: 'running' },
      on: { 'cronjob.observed': SCHEDULING },
    },
    /** Some of its Jobs run. */
    running: {
      always: { guard: 'noActive', target: 'waiting' },
      on: { 'cronjob.observed': SCHEDULING },
    },
    /** spec.suspend: nothing starts; finished Jobs are still trimmed. */
    suspended: {
      entry: 'disarmRecheck',
      on: {
        'cronjob.observed': [...IGNORED, { guard: 'suspendRequested', actions: ['observe', 'trimHistory', 'reportStatus'] }, ...schedule('waiting')],
      },
    },
  },
});

export type CronJobMachine = typeof cronJobMachine;
