import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, waitFor } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { replicaMachine, type ReplicasObserved } from './machine.ts';
import { fakeEffects, observed, owner, pods, T0 } from './machine-fixtures.ts';
import { slowStartBatch } from '../controller-kit/slow-start.ts';
import { Expectations } from '../controller-kit/expectations.ts';

const ACTIONS = ['expectCreations', 'expectDeletions', 'forgetSkippedCreations', 'forgetSkippedDeletions', 'requestSync'] as const;

function start(opts: { burstReplicas?: number; replicas?: number } = {}) {
  const clock = new SimulatedClock();
  const effects = createEffectRecorder(ACTIONS);
  const fakes = fakeEffects();
  const machine = replicaMachine.provide({ actions: effects.actions, actors: fakes.actors });
  const actor = createActor(machine, {
    input: { key: 'rs/default/web', owner: owner(opts.replicas ?? 3), burstReplicas: opts.burstReplicas ?? 500, expectationsTimeoutMs: 300_000 },
    clock,
  }).start();
  let round = 0;
  /** Sends the observation as the next round and waits until its effects are done. */
  const round_ = async (o: ReplicasObserved) => {
    actor.send({ ...o, round: ++round });
    return waitFor(actor, (s) => s.context.round === round && !s.context.pending);
  };
  return { actor, clock, effects, fakes, observe: round_ };
}

describe('replica machine', () => {
  it('too few pods: a guard chooses scaling.creating, whose entry expects and creates the missing ones within the burst limit', async () => {
    const { actor, effects, fakes, observe } = start({ burstReplicas: 2 });
    expect(actor.getSnapshot().value).toBe('unobserved');
    const done = await observe(observed(owner(5), pods(1)));
    expect(effects.paramsOf('expectCreations')).toEqual([{ count: 2 }]);
    expect(fakes.creates.map((c) => c.count)).toEqual([2]);
    // Created: wait for the watch to report the new pods, writing the status seen so far.
    expect(done.value).toEqual({ scaling: 'awaitingPods' });
    expect(done.context.roundError).toBeUndefined();
    expect(fakes.statuses.at(-1)?.status).toMatchObject({ replicas: 1 });
    // The watch has not caught up: nothing more is created.
    await observe(observed(owner(5), pods(2), { expectationsMet: false }));
    expect(fakes.creates).toHaveLength(1);
    // It has: the next burst.
    await observe(observed(owner(5), pods(3)));
    expect(fakes.creates.map((c) => c.count)).toEqual([2, 2]);
    expect((await observe(observed(owner(5), pods(5)))).value).toBe('steady');
  });

  it('too many pods: deletes the worst ranked (unscheduled, not ready) first', async () => {
    const { effects, fakes, observe } = start();
    const [a, b] = pods(2, T0 - 60_000);
    const unready = pods(3)[2];
    const snap = await observe(observed(owner(2), [a, b, unready]));
    expect(snap.value).toEqual({ scaling: 'awaitingPods' });
    expect(fakes.deletes.map((d) => d.pods.map((p) => p.metadata?.name))).toEqual([['web-2']]);
    expect(effects.paramsOf('expectDeletions')).toEqual([{ uids: ['pod-2'] }]);
  });

  it('a failed create: scaling.failing writes ReplicaFailure, forgets the creates not made, and fails the round', async () => {
    const { effects, fakes, observe } = start();
    fakes.createOutput = () => ({ created: 1, error: 'quota exceeded' });
    const snap = await observe(observed(owner(4), []));
    expect(snap.value).toEqual({ scaling: 'failing' });
    expect(effects.paramsOf('forgetSkippedCreations')).toEqual([{ count: 3 }]);
    expect(fakes.statuses.at(-1)?.status.conditions).toEqual([
      { type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2024-06-01T00:00:00Z', reason: 'FailedCreate', message: 'quota exceeded' },
    ]);
    expect(String(snap.context.roundError)).toContain('quota exceeded');
    // The retry succeeds: the condition goes.
    fakes.createOutput = (input) => ({ created: input.count });
    await observe(observed(owner(4), pods(1)));
    expect(fakes.statuses.at(-1)?.status.conditions).toBeUndefined();
  });

  it('never acts while its owner is being deleted, and a status write that fails fails the round', async () => {
    const { fakes, observe } = start();
    fakes.statusError = new Error('conflict');
    const snap = await observe(observed(owner(3, { deleting: true }), []));
    expect(snap.value).toBe('terminating');
    expect(snap.context.roundError).toBe(fakes.statusError);
    expect(fakes.creates).toHaveLength(0);
  });

  it('asks for a sync when the expectations time out, and when ready pods become available (SimulatedClock)', async () => {
    const { clock, effects, observe } = start();
    await observe(observed(owner(3), pods(1), { expectationsMet: false }));
    clock.increment(300_000);
    expect(effects.paramsOf('requestSync')).toHaveLength(0);
    clock.increment(1);
    expect(effects.paramsOf('requestSync')).toHaveLength(1);

    effects.clear();
    // All 3 ready for 10 s of a 30 s minReadySeconds: not available yet, look again in 30 s.
    await observe(observed(owner(3, { minReadySeconds: 30 }), pods(3, T0 - 10_000)));
    clock.increment(30_000);
    expect(effects.paramsOf('requestSync')).toHaveLength(0);
    clock.increment(1);
    expect(effects.paramsOf('requestSync')).toHaveLength(1);
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
