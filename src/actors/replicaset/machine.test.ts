import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { replicaMachine } from './machine.ts';
import { slowStartBatch } from '../controller-kit/slow-start.ts';
import { Expectations } from '../controller-kit/expectations.ts';

describe('replica machine', () => {
  it('follows what each sync observed, and stays terminating once deleting', () => {
    const actor = createActor(replicaMachine, { input: { desired: 3, active: 0 } }).start();
    const states: string[] = [];
    actor.subscribe((s) => states.push(String(s.value)));
    actor.send({ type: 'replicas.observed', desired: 3, active: 1 });
    actor.send({ type: 'replicas.observed', desired: 3, active: 3 });
    actor.send({ type: 'replicas.observed', desired: 1, active: 3 });
    actor.send({ type: 'owner.deleting' });
    actor.send({ type: 'replicas.observed', desired: 1, active: 1 });
    expect(states).toEqual(['scalingUp', 'steady', 'scalingDown', 'terminating', 'terminating']);
    expect(actor.getSnapshot().context).toEqual({ desired: 1, active: 1 });
  });
});

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4 and stops after the first batch with a failure', async () => {
    let calls = 0;
    const result = await slowStartBatch(10, 1, () => (++calls > 4 ? Promise.reject(new Error('quota')) : Promise.resolve()));
    // Batches 1 and 2 succeed (3 calls), the batch of 4 has 1 success and 3 failures, then it stops.
    expect(calls).toBe(7);
    expect(result.succeeded).toBe(4);
    expect(result.error).toBeInstanceOf(Error);
    expect((await slowStartBatch(5, 1, () => Promise.resolve())).succeeded).toBe(5);
  });
});

describe('Expectations', () => {
  it('is met when every create and delete came back, or after the timeout', () => {
    let now = 0;
    const e = new Expectations(() => now, 1000);
    e.expectCreations('rs', 2);
    e.creationObserved('rs');
    expect(e.satisfied('rs')).toBe(false);
    e.creationObserved('rs');
    expect(e.satisfied('rs')).toBe(true);
    e.expectDeletions('rs', ['a', 'b']);
    e.deletionObserved('rs', 'a');
    e.deletionObserved('rs', 'a');
    expect(e.satisfied('rs')).toBe(false);
    now = 1001;
    expect(e.satisfied('rs')).toBe(true);
  });
});
