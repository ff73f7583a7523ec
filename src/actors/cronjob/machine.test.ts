import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import type { CronJobContext, CronJobObserved } from './context.ts';
import type { CronJobSpec } from './cronjob-spec.ts';
import type { FinishedJob, JobRef } from './jobs.ts';
import { cronJobMachine } from './machine.ts';

const MINUTE = 60_000;
/** 2024-06-01T00:00:00Z; the CronJob was created then, every minute. */
const T0 = Date.parse('2024-06-01T00:00:00Z');
const EFFECTS = ['startJob', 'deleteJobs', 'writeStatus', 'recordEvent', 'requeue'] as const;
const SPEC: CronJobSpec = { schedule: '* * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 };

const job = (minute: number): JobRef => ({ name: `cj-${T0 / MINUTE + minute}`, namespace: 'default', uid: `uid-${minute}` });

function start(input: Partial<CronJobContext> = {}, spec: CronJobSpec = SPEC) {
  const clock = new SimulatedClock();
  clock.set(T0 + 30_000);
  const effects = createEffectRecorder(EFFECTS);
  const actor = createActor(cronJobMachine.provide({ actions: effects.actions }), {
    input: { spec, at: clock.now(), createdAt: T0, active: [], ...input },
    clock,
  }).start();
  let current = spec;
  /** What the controller would send, seen at the clock's time. */
  const observe = (over: Partial<Omit<CronJobObserved, 'type'>> = {}) => {
    effects.clear();
    if (over.spec) current = over.spec;
    actor.send({ type: 'cronjob.observed', at: clock.now(), spec: current, createdAt: T0, deleting: false, active: [], finished: [], expectationsSatisfied: true, ...over });
  };
  /** What the controller does with a `startJob`: the Job is made, and the machine told. */
  const started = () => {
    const [asked] = effects.paramsOf('startJob') as { scheduledAt: number }[];
    if (!asked) throw new Error('no Job was asked for');
    const minute = (asked.scheduledAt - T0) / MINUTE;
    actor.send({ type: 'cronjob.jobStarted', job: job(minute), scheduledAt: asked.scheduledAt });
    return job(minute);
  };
  const at = (minutes: number) => clock.set(T0 + minutes * MINUTE);
  const state = () => actor.getSnapshot().value;
  const status = () => (effects.paramsOf('writeStatus').at(-1) as { status: Record<string, unknown> } | undefined)?.status;
  const reasons = () => (effects.paramsOf('recordEvent') as { reason: string }[]).map((r) => r.reason);
  return { actor, clock, effects, observe, started, at, state, status, reasons };
}

describe('cronjob machine', () => {
  it('its alarm on the actor clock brings the observation at the next scheduled time, which starts that Job', () => {
    const cj = start();
    cj.observe();
    expect(cj.state()).toBe('waiting');
    expect(cj.effects.paramsOf('startJob')).toEqual([]);
    cj.effects.clear();
    cj.clock.increment(29_999);
    expect(cj.effects.paramsOf('requeue')).toEqual([]);
    cj.clock.increment(1);
    expect(cj.effects.calls.map((c) => c.effect)).toEqual(['requeue']);
    cj.observe();
    expect(cj.effects.paramsOf('startJob')).toEqual([{ scheduledAt: T0 + MINUTE }]);
    const made = cj.started();
    expect(cj.state()).toBe('running');
    expect(cj.status()).toMatchObject({ lastScheduleTime: '2024-06-01T00:01:00Z', active: [expect.objectContaining({ kind: 'Job', name: made.name, uid: made.uid })] });
    // That time is done: observing again within the minute starts nothing.
    cj.observe({ active: [made] });
    expect(cj.effects.paramsOf('startJob')).toEqual([]);
  });

  it('a guard decides: Forbid starts no Job while one is active, and runs the missed time once it finished', () => {
    const cj = start({}, { ...SPEC, concurrencyPolicy: 'Forbid' });
    cj.at(1);
    cj.observe();
    const first = cj.started();
    cj.at(2.5);
    cj.observe({ active: [first] });
    expect(cj.state()).toBe('running');
    expect(cj.effects.paramsOf('startJob')).toEqual([]);
    expect(cj.reasons()).toEqual(['JobAlreadyActive']);
    cj.observe({ finished: [{ ...first, type: 'Complete', scheduledAt: T0 + MINUTE, completedAt: T0 + 2.5 * MINUTE }] });
    expect(cj.state()).toBe('waiting');
    expect(cj.effects.paramsOf('startJob')).toEqual([{ scheduledAt: T0 + 2 * MINUTE }]);
    cj.started();
    expect(cj.status()).toMatchObject({ lastScheduleTime: '2024-06-01T00:02:00Z', lastSuccessfulTime: '2024-06-01T00:02:30Z' });
  });

  it('Allow starts the next Job beside the running one; Replace deletes the running ones first', () => {
    const allow = start();
    allow.at(1);
    allow.observe();
    const first = allow.started();
    allow.at(2);
    allow.observe({ active: [first] });
    expect(allow.effects.paramsOf('startJob')).toEqual([{ scheduledAt: T0 + 2 * MINUTE }]);
    expect(allow.effects.paramsOf('deleteJobs')).toEqual([]);

    const replace = start({}, { ...SPEC, concurrencyPolicy: 'Replace' });
    replace.at(1);
    replace.observe();
    const old = replace.started();
    replace.at(2);
    replace.observe({ active: [old] });
    expect(replace.effects.calls.map((c) => c.effect)).toEqual(['deleteJobs', 'startJob']);
    expect(replace.effects.paramsOf('deleteJobs')).toEqual([{ jobs: [old] }]);
    const now = replace.started();
    expect(replace.status()?.active).toEqual([expect.objectContaining({ name: now.name })]);
  });

  it('startingDeadlineSeconds: a time missed by more than the deadline is not run', () => {
    const cj = start({}, { ...SPEC, startingDeadlineSeconds: 10 });
    cj.at(1.5);
    cj.observe();
    expect(cj.effects.paramsOf('startJob')).toEqual([]);
    cj.at(2);
    cj.observe();
    expect(cj.effects.paramsOf('startJob')).toEqual([{ scheduledAt: T0 + 2 * MINUTE }]);
  });

  it('suspended starts nothing and keeps no alarm; resumed, it runs the time it missed', () => {
    const cj = start();
    cj.observe({ spec: { ...SPEC, suspend: true } });
    expect(cj.state()).toBe('suspended');
    cj.at(3.5);
    expect(cj.effects.paramsOf('requeue')).toEqual([]);
    cj.observe({ spec: SPEC });
    expect(cj.state()).toBe('waiting');
    expect(cj.effects.paramsOf('startJob')).toEqual([{ scheduledAt: T0 + 3 * MINUTE }]);
    cj.started();
    expect(cj.state()).toBe('running');
  });

  it('waits while a Job it created has not come back through the watch', () => {
    const cj = start();
    cj.at(1);
    cj.observe({ expectationsSatisfied: false });
    expect(cj.effects.calls).toEqual([]);
  });

  it('trims finished Jobs beyond the history limits, oldest first', () => {
    const cj = start({}, { ...SPEC, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 0 });
    const done = (minute: number, type: FinishedJob['type']): FinishedJob => ({ ...job(minute), type, scheduledAt: T0 + minute * MINUTE });
    cj.observe({ finished: [done(-3, 'Complete'), done(-2, 'Complete'), done(-1, 'Failed')] });
    expect(cj.effects.paramsOf('deleteJobs')).toEqual([{ jobs: [job(-3), job(-1)] }]);
  });

  it('an unparseable schedule records UnparseableSchedule and sets no alarm; too many missed times warn', () => {
    const bad = start({}, { ...SPEC, schedule: 'every minute' });
    bad.observe();
    expect(bad.reasons()).toEqual(['UnparseableSchedule']);
    bad.at(10);
    expect(bad.effects.paramsOf('requeue')).toEqual([]);

    const late = start();
    late.at(200);
    late.observe();
    expect(late.reasons()).toEqual(['TooManyMissedTimes']);
    expect(late.effects.paramsOf('startJob')).toEqual([{ scheduledAt: T0 + 200 * MINUTE }]);
  });

  it('a CronJob stored with its lastScheduleTime does not run that time again', () => {
    const cj = start({ lastScheduleTime: T0 + MINUTE, active: [job(1)] });
    expect(cj.state()).toBe('running');
    cj.at(1.5);
    cj.observe({ active: [job(1)] });
    expect(cj.effects.paramsOf('startJob')).toEqual([]);
  });
});
