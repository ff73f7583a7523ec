import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import type { JobContext, JobObserved } from './context.ts';
import type { JobSpec } from './job-spec.ts';
import { jobMachine } from './machine.ts';

const T0 = Date.parse('2024-06-01T00:00:00Z');
const EFFECTS = ['createPods', 'deletePods', 'writeStatus', 'releasePods', 'deleteJob', 'recordEvent', 'requeue'] as const;

const SPEC: JobSpec = { completions: 3, parallelism: 2, backoffLimit: 2, activeDeadlineSeconds: undefined, ttlSecondsAfterFinished: undefined, suspend: false };

function context(over: Partial<JobContext> = {}): JobContext {
  return { spec: SPEC, at: T0, active: 0, ready: 0, succeeded: 0, failed: 0, uncounted: { succeeded: [], failed: [] }, ...over };
}

function start(input: JobContext = context()) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const effects = createEffectRecorder(EFFECTS);
  const actor = createActor(jobMachine.provide({ actions: effects.actions }), { input, clock }).start();
  /** What the controller would send, seen at the clock's time. */
  const observe = (over: Partial<Omit<JobObserved, 'type'>> = {}) => {
    effects.clear();
    actor.send({
      type: 'job.observed',
      at: clock.now(),
      spec: SPEC,
      deleting: false,
      counted: { succeeded: 0, failed: 0 },
      uncounted: { succeeded: [], failed: [] },
      active: 0,
      ready: 0,
      expectationsSatisfied: true,
      releasable: 0,
      ...over,
    });
  };
  const state = () => actor.getSnapshot().value;
  const status = () => (effects.paramsOf('writeStatus').at(-1) as { status: Record<string, unknown> } | undefined)?.status;
  const conditions = () => (status()?.conditions ?? []) as Record<string, unknown>[];
  return { actor, clock, effects, observe, state, status, conditions };
}

describe('job machine', () => {
  it('creates the pods it wants: parallelism, never more than the completions still missing', () => {
    const job = start();
    job.observe();
    expect(job.state()).toBe('active');
    expect(job.effects.paramsOf('createPods')).toEqual([{ count: 2 }]);
    expect(job.status()).toMatchObject({ active: 2, succeeded: 0, startTime: '2024-06-01T00:00:00Z' });
    job.observe({ active: 2, counted: { succeeded: 2, failed: 0 } });
    expect(job.effects.paramsOf('deletePods')).toEqual([{ count: 1 }]);
    expect(job.status()).toMatchObject({ active: 1, succeeded: 2 });
  });

  it('a guard decides: failures beyond backoffLimit enter failed, writing BackoffLimitExceeded and deleting the active pods', () => {
    const job = start();
    job.observe();
    job.observe({ active: 2, counted: { succeeded: 0, failed: 2 } });
    expect(job.state()).toBe('active');
    job.observe({ active: 2, counted: { succeeded: 0, failed: 2 }, uncounted: { succeeded: [], failed: ['u3'] }, releasable: 1 });
    expect(job.state()).toBe('failed');
    expect(job.conditions()).toEqual([expect.objectContaining({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' })]);
    expect(job.status()).toMatchObject({ active: 0, failed: 2, uncountedTerminatedPods: { failed: ['u3'] } });
    expect(job.effects.paramsOf('deletePods')).toEqual([{ count: 2 }]);
    expect(job.effects.paramsOf('recordEvent')).toEqual([{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
    // The status that lists the failed pod is written before its finalizer goes.
    expect(job.effects.calls.map((c) => c.effect).filter((e) => e === 'writeStatus' || e === 'releasePods')).toEqual(['writeStatus', 'releasePods']);
    // Failed is never left: a later observation only tidies.
    job.observe({ counted: { succeeded: 3, failed: 3 } });
    expect(job.state()).toBe('failed');
    expect(job.effects.paramsOf('recordEvent')).toEqual([]);
  });

  it('does not create or delete while an earlier round is still on its way back through the watch', () => {
    const job = start();
    job.observe({ expectationsSatisfied: false });
    expect(job.state()).toBe('active');
    expect(job.effects.paramsOf('createPods')).toEqual([]);
    expect(job.status()).toMatchObject({ active: 0 });
    job.observe({ active: 0, counted: { succeeded: 0, failed: 3 }, expectationsSatisfied: false });
    expect(job.state()).toBe('failed');
    expect(job.effects.paramsOf('deletePods')).toEqual([]);
  });

  it('activeDeadlineSeconds: the alarm on the actor clock brings an observation at the deadline, whose guard fails the Job', () => {
    const job = start();
    const spec = { ...SPEC, activeDeadlineSeconds: 30 };
    job.observe({ spec });
    job.clock.increment(10_000);
    job.observe({ spec, active: 2 });
    job.effects.clear();
    job.clock.increment(19_999);
    expect(job.effects.paramsOf('requeue')).toEqual([]);
    job.clock.increment(1);
    expect(job.effects.calls.map((c) => c.effect)).toEqual(['requeue']);
    job.observe({ spec, active: 2 });
    expect(job.state()).toBe('failed');
    expect(job.conditions()).toEqual([expect.objectContaining({ type: 'Failed', reason: 'DeadlineExceeded', lastTransitionTime: '2024-06-01T00:00:30Z' })]);
    expect(job.effects.paramsOf('deletePods')).toEqual([{ count: 2 }]);
  });

  it('backs off: failed pods hold replacements back until the back-off ends, then the alarm brings them', () => {
    const job = start();
    job.observe();
    const backoff = { counted: { succeeded: 0, failed: 1 }, active: 1, podBackoffUntil: T0 + 10_000 };
    job.observe(backoff);
    expect(job.state()).toBe('backingOff');
    expect(job.effects.paramsOf('createPods')).toEqual([]);
    job.clock.increment(9_999);
    expect(job.effects.paramsOf('requeue')).toEqual([]);
    job.clock.increment(1);
    expect(job.effects.paramsOf('requeue')).toHaveLength(1);
    job.observe(backoff);
    expect(job.state()).toBe('active');
    expect(job.effects.paramsOf('createPods')).toEqual([{ count: 1 }]);
  });

  it('suspend deletes the pods and clears startTime; resume starts them again, with Events', () => {
    const job = start();
    job.observe();
    job.observe({ spec: { ...SPEC, suspend: true }, active: 2 });
    expect(job.state()).toBe('suspended');
    expect(job.effects.paramsOf('deletePods')).toEqual([{ count: 2 }]);
    expect(job.status()?.startTime).toBeUndefined();
    expect(job.conditions()).toEqual([expect.objectContaining({ type: 'Suspended', status: 'True', reason: 'JobSuspended' })]);
    job.observe({ spec: { ...SPEC, suspend: true } });
    expect(job.effects.paramsOf('recordEvent')).toEqual([]);
    job.clock.increment(5_000);
    job.observe();
    expect(job.state()).toBe('active');
    expect(job.effects.paramsOf('createPods')).toEqual([{ count: 2 }]);
    expect(job.status()).toMatchObject({ startTime: '2024-06-01T00:00:05Z' });
    expect(job.conditions()).toEqual([expect.objectContaining({ type: 'Suspended', status: 'False', reason: 'JobResumed' })]);
    expect(job.effects.paramsOf('recordEvent')).toEqual([{ type: 'Normal', reason: 'Resumed', message: 'Job resumed' }]);
  });

  it('completes, then deletes itself ttlSecondsAfterFinished later', () => {
    const job = start();
    const spec = { ...SPEC, ttlSecondsAfterFinished: 60 };
    job.observe({ spec });
    job.observe({ spec, counted: { succeeded: 3, failed: 0 } });
    expect(job.state()).toBe('complete');
    expect(job.status()).toMatchObject({ completionTime: '2024-06-01T00:00:00Z' });
    expect(job.effects.paramsOf('recordEvent')).toEqual([{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
    job.clock.increment(59_999);
    expect(job.effects.paramsOf('requeue')).toEqual([]);
    job.clock.increment(1);
    expect(job.effects.paramsOf('requeue')).toHaveLength(1);
    job.observe({ spec, counted: { succeeded: 3, failed: 0 } });
    expect(job.effects.paramsOf('deleteJob')).toHaveLength(1);
  });

  it('a Job stored finished or suspended starts in that state without an Event', () => {
    const at = T0 - 60_000;
    expect(start(context({ finish: { type: 'Complete', reason: 'CompletionsReached', message: 'm', at } })).state()).toBe('complete');
    expect(start(context({ finish: { type: 'Failed', reason: 'DeadlineExceeded', message: 'm', at } })).state()).toBe('failed');
    const job = start(context({ suspension: { suspended: true, at } }));
    expect(job.state()).toBe('suspended');
    expect(job.effects.calls).toEqual([]);
  });
});
