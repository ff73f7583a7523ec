import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { jobMachine, type JobMachineInput, type JobSynced } from './machine.ts';

function start(input: JobMachineInput = { suspended: false }) {
  const effects = createEffectRecorder(['recordEvent'] as const);
  const actor = createActor(jobMachine.provide({ actions: effects.actions }), { input }).start();
  return { actor, effects };
}

const synced = (over: Partial<JobSynced> = {}): JobSynced => ({ type: 'job.synced', active: 1, succeeded: 0, failed: 0, suspended: false, ...over });

describe('job machine', () => {
  it('pending → running → complete, recording Completed once', () => {
    const { actor, effects } = start();
    expect(actor.getSnapshot().value).toBe('pending');
    actor.send(synced());
    expect(actor.getSnapshot().value).toBe('running');
    actor.send(synced({ active: 0, succeeded: 1, finish: { type: 'Complete', reason: 'CompletionsReached', message: 'm' } }));
    expect(actor.getSnapshot().value).toBe('complete');
    expect(actor.getSnapshot().context).toMatchObject({ succeeded: 1, finished: 'Complete' });
    expect(effects.paramsOf('recordEvent')).toEqual([{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
  });

  it('fails with the reason of the finish', () => {
    const { actor, effects } = start();
    actor.send(synced());
    actor.send(synced({ failed: 7, finish: { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' } }));
    expect(actor.getSnapshot().value).toBe('failed');
    expect(effects.paramsOf('recordEvent')).toEqual([{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
  });

  it('suspends and resumes with Events', () => {
    const { actor, effects } = start();
    actor.send(synced());
    actor.send(synced({ active: 0, suspended: true }));
    expect(actor.getSnapshot().value).toBe('suspended');
    actor.send(synced({ active: 0, suspended: true }));
    actor.send(synced());
    expect(actor.getSnapshot().value).toBe('running');
    expect(effects.paramsOf('recordEvent').map((p) => (p as { reason: string }).reason)).toEqual(['Suspended', 'Resumed']);
  });

  it('a Job stored finished or suspended starts in that state without an Event', () => {
    expect(start({ finished: 'Complete', suspended: false }).actor.getSnapshot().value).toBe('complete');
    expect(start({ finished: 'Failed', suspended: false }).actor.getSnapshot().value).toBe('failed');
    const { actor, effects } = start({ suspended: true });
    expect(actor.getSnapshot().value).toBe('suspended');
    expect(effects.calls).toEqual([]);
  });
});
