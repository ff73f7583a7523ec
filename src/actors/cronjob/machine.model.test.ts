/**
 * Model test: explores every state the CronJob machine can reach from an alphabet of observations
 * and Job starts with @xstate/graph, then checks the CronJob's rules on every edge of that graph
 * (so on every path through it), replaying each edge with xstate's pure `transition()` to see the
 * effects it asks for. One run per concurrencyPolicy, and one with startingDeadlineSeconds.
 *
 * Bound: an every-minute schedule observed at five times in the first three and a half minutes
 * (time never goes back: an observation earlier than the context's is not offered), with none,
 * one or two Jobs running, none or some finished (beyond the history limits or not), with and
 * without suspend, with an unparseable schedule, with the watch caught up or not, and while the
 * CronJob is being deleted; `cronjob.jobStarted` for any scheduled time already passed, and the
 * alarm, are offered everywhere. Contexts hold only values from this alphabet, so the graph is
 * finite; `limit` turns a runaway exploration into a failure, not a hang.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { createActor, type ActorScope, type ExecutableActionObject, type SnapshotFrom } from 'xstate';
import type { CronJobContext, CronJobMachineEvent, CronJobObserved } from './context.ts';
import type { CronJobSpec } from './cronjob-spec.ts';
import type { FinishedJob, JobRef } from './jobs.ts';
import { cronJobMachine } from './machine.ts';

type CronJobSnapshot = SnapshotFrom<typeof cronJobMachine>;

const MINUTE = 60_000;
const T0 = Date.parse('2024-06-01T00:00:00Z');
const TIMES = [0.5, 1, 1.5, 2, 3.5].map((m) => T0 + m * MINUTE);
const TRAVERSAL_LIMIT = 300_000;

const job = (minute: number): JobRef => ({ name: `cj-${T0 / MINUTE + minute}`, namespace: 'default', uid: `uid-${minute}` });
const done = (minute: number, type: FinishedJob['type']): FinishedJob => ({
  ...job(minute),
  type,
  scheduledAt: T0 + minute * MINUTE,
  ...(type === 'Complete' ? { completedAt: T0 + (minute + 0.25) * MINUTE } : {}),
});

/** Running Jobs the watch may show, and finished ones (history limits: 1 successful, 1 failed). */
const ACTIVE: JobRef[][] = [[], [job(1)], [job(1), job(2)]];
const FINISHED: FinishedJob[][] = [[], [done(-2, 'Complete')], [done(-3, 'Complete'), done(-2, 'Complete'), done(-1, 'Failed')]];

function alphabet(spec: CronJobSpec, at: number): CronJobObserved[] {
  const observe = (over: Partial<CronJobObserved>): CronJobObserved => ({
    type: 'cronjob.observed',
    at,
    spec,
    createdAt: T0,
    deleting: false,
    active: [],
    finished: [],
    expectationsSatisfied: true,
    ...over,
  });
  return [
    ...ACTIVE.flatMap((active) => FINISHED.flatMap((finished) => [false, true].map((suspend) => observe({ active, finished, spec: { ...spec, suspend } })))),
    observe({ spec: { ...spec, schedule: 'every minute' } }),
    observe({ active: [job(1)], expectationsSatisfied: false }),
    observe({ active: [job(1)], deleting: true }),
  ];
}

const ALPHABETS = new Map<CronJobSpec, Map<number, CronJobObserved[]>>();

/** What may come next in `state`: observations no earlier than its last, starts of times passed, the alarm. */
function eventsFor(spec: CronJobSpec, state: CronJobSnapshot): CronJobMachineEvent[] {
  let bySpec = ALPHABETS.get(spec);
  if (!bySpec) ALPHABETS.set(spec, (bySpec = new Map(TIMES.map((at) => [at, alphabet(spec, at)]))));
  const observations = TIMES.filter((at) => at >= state.context.at).flatMap((at) => bySpec.get(at) ?? []);
  const starts = [1, 2, 3].filter((m) => T0 + m * MINUTE <= state.context.at).map((m): CronJobMachineEvent => ({ type: 'cronjob.jobStarted', job: job(m), scheduledAt: T0 + m * MINUTE }));
  return [{ type: 'cronjob.recheck' }, ...starts, ...observations];
}

function input(spec: CronJobSpec): CronJobContext {
  return { spec, at: T0, createdAt: T0, active: [] };
}

/** xstate's pure `transition()` with one reused, inert actor scope (as the pod model test does). */
function createReplayer(spec: CronJobSpec) {
  const self = createActor(cronJobMachine, { input: input(spec) });
  let actions: ExecutableActionObject[] = [];
  const scope: ActorScope<CronJobSnapshot, CronJobMachineEvent> = {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: (action) => void actions.push(action),
  };
  return (state: CronJobSnapshot, event: CronJobMachineEvent): [CronJobSnapshot, ExecutableActionObject[]] => {
    actions = [];
    return [cronJobMachine.transition(state, event, scope), actions];
  };
}

const paramsOf = <T>(actions: ExecutableActionObject[], type: string): T[] => actions.filter((a) => a.type === type).map((a) => a.params as T);
const uids = (jobs: JobRef[]): string => jobs.map((j) => j.uid).sort().join();

const BASE: CronJobSpec = { schedule: '* * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 };
const CASES: { name: string; spec: CronJobSpec }[] = [
  { name: 'Allow', spec: BASE },
  { name: 'Forbid', spec: { ...BASE, concurrencyPolicy: 'Forbid' } },
  { name: 'Replace', spec: { ...BASE, concurrencyPolicy: 'Replace' } },
  { name: 'Allow, startingDeadlineSeconds 20', spec: { ...BASE, startingDeadlineSeconds: 20 } },
];

describe('cronjob machine model (@xstate/graph)', () => {
  it.each(CASES)('$name: the rules hold on every reachable edge', ({ spec }) => {
    const edges = adjacencyMapToArray(getAdjacencyMap(cronJobMachine, { input: input(spec), events: (state) => eventsFor(spec, state), limit: TRAVERSAL_LIMIT }));
    const transition = createReplayer(spec);
    const violations: string[] = [];
    const reached = new Set<string>();
    for (const { state, event } of edges) {
      const [next, actions] = transition(state, event);
      const from = String(state.value);
      const to = String(next.value);
      const before = state.context;
      const after = next.context;
      const check = (holds: boolean, rule: string) => {
        if (!holds) violations.push(`${rule}: ${from} + ${JSON.stringify(event)}\ncontext: ${JSON.stringify(before)}`);
      };
      reached.add(to);
      const types = actions.map((a) => a.type);
      const reasons = paramsOf<{ reason: string }>(actions, 'recordEvent').map((r) => r.reason);
      for (const r of reasons) reached.add(r);

      check(to === 'suspended' || (to === 'running') === after.active.length > 0, 'running does not follow the running Jobs');
      check((after.lastScheduleTime ?? -Infinity) >= (before.lastScheduleTime ?? -Infinity), 'lastScheduleTime went back');
      check(event.type === 'cronjob.jobStarted' || after.lastScheduleTime === before.lastScheduleTime, 'lastScheduleTime moved without a Job started');

      if (event.type === 'cronjob.recheck') {
        check(to === from && types.join() === 'requeue', 'an alarm did more than ask for an observation');
        continue;
      }
      if (event.type === 'cronjob.jobStarted') {
        check(after.active.some((j) => j.uid === event.job.uid) && types.join() === 'writeStatus', 'a started Job is not running, or its status not written');
        continue;
      }

      // Ignored observations change nothing.
      if (event.deleting || !event.expectationsSatisfied) {
        check(types.length === 0 && to === from && JSON.stringify(after) === JSON.stringify(before), 'an ignored observation did something');
        continue;
      }
      check((to === 'suspended') === event.spec.suspend, 'suspended does not follow spec.suspend');

      // Starting a Job: when due, as the policy allows, once.
      const starts = paramsOf<{ scheduledAt: number }>(actions, 'startJob');
      const deletes = paramsOf<{ jobs: JobRef[] }>(actions, 'deleteJobs').flatMap((p) => p.jobs);
      check(starts.length <= 1, 'more than one Job started at once');
      const start = starts[0];
      if (start) {
        reached.add(`start:${event.active.length > 0 ? 'beside' : 'alone'}`);
        check(!event.spec.suspend, 'a suspended CronJob started a Job');
        check(start.scheduledAt <= event.at && start.scheduledAt > (before.lastScheduleTime ?? T0) && start.scheduledAt % MINUTE === 0, 'started a time not due');
        check(spec.startingDeadlineSeconds === undefined || event.at - start.scheduledAt <= spec.startingDeadlineSeconds * 1000, 'started a time past its starting deadline');
        check(spec.concurrencyPolicy !== 'Forbid' || event.active.length === 0, 'Forbid started a Job while one runs');
        if (spec.concurrencyPolicy === 'Replace' && event.active.length > 0) {
          check(types.indexOf('deleteJobs') >= 0 && types.lastIndexOf('deleteJobs') < types.indexOf('startJob'), 'Replace started before deleting the running Jobs');
          check(event.active.every((j) => deletes.some((d) => d.uid === j.uid)), 'Replace left a running Job');
          reached.add('replaced');
        }
        check(!types.includes('writeStatus'), 'the status was written before the started Job was known');
      } else {
        check(types.filter((t) => t === 'writeStatus').length === 1, 'an observation that started nothing did not write the status once');
      }
      // A due time left for later is Forbid's doing, with its Event.
      check(!reasons.includes('JobAlreadyActive') || (spec.concurrencyPolicy === 'Forbid' && event.active.length > 0 && !start), 'JobAlreadyActive without a Forbid that held back a Job');

      // Only finished Jobs beyond the limits go, unless Replace removes the running ones.
      const running = new Set(event.active.map((j) => j.uid));
      const history = deletes.filter((d) => !running.has(d.uid));
      check(history.every((d) => event.finished.some((f) => f.uid === d.uid)), 'deleted a Job that is neither finished nor replaced');
      check(deletes.every((d) => !running.has(d.uid)) || (spec.concurrencyPolicy === 'Replace' && start !== undefined), 'deleted a running Job without replacing it');
      const keptComplete = event.finished.filter((f) => f.type === 'Complete' && !history.some((d) => d.uid === f.uid)).length;
      check(keptComplete <= Math.max(0, spec.successfulJobsHistoryLimit), 'kept more successful Jobs than the history limit');
      if (history.length > 0) reached.add('trimmed');
      if (!start && types.includes('writeStatus')) check(uids(after.active) === uids(event.active), 'the status does not list the running Jobs');
    }
    expect(violations.slice(0, 5)).toEqual([]);
    // The walk reached every state and made every decision, so the checks above were not vacuous.
    const expected = ['waiting', 'running', 'suspended', 'start:alone', 'trimmed', 'UnparseableSchedule'];
    if (spec.concurrencyPolicy === 'Forbid') expected.push('JobAlreadyActive');
    else expected.push('start:beside');
    if (spec.concurrencyPolicy === 'Replace') expected.push('replaced');
    expect([...reached]).toEqual(expect.arrayContaining(expected));
    expect(edges.length).toBeGreaterThan(10_000);
  });
});
