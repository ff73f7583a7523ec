import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { NOTHING_OBSERVED, rolloutMachine, type RolloutObservation } from './machine.ts';

const observed = (o: Partial<RolloutObservation>) => ({ type: 'rollout.observed' as const, ...NOTHING_OBSERVED, ...o });

describe('rollout machine', () => {
  it('moves progressing → complete → progressing → paused → failed → complete', () => {
    const actor = createActor(rolloutMachine, { input: NOTHING_OBSERVED }).start();
    expect(actor.getSnapshot().value).toBe('progressing');
    actor.send(observed({ complete: true, revision: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }));
    expect(actor.getSnapshot().value).toBe('complete');
    expect(actor.getSnapshot().context.revision).toBe(1);
    actor.send(observed({ revision: 2, replicas: 4, updatedReplicas: 1 }));
    expect(actor.getSnapshot().value).toBe('progressing');
    actor.send(observed({ paused: true, deadlineExceeded: true }));
    expect(actor.getSnapshot().value).toBe('paused');
    actor.send(observed({ deadlineExceeded: true }));
    expect(actor.getSnapshot().value).toBe('failed');
    actor.send(observed({ complete: true }));
    expect(actor.getSnapshot().value).toBe('complete');
    actor.stop();
  });
});
