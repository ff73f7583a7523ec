import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { selfFenceMachine } from './self-fence.ts';

function start() {
  const clock = new SimulatedClock();
  const fences: number[] = [];
  let recovered = 0;
  const actor = createActor(
    selfFenceMachine.provide({ actions: { fence: (_, params) => void fences.push(params.fenceAfterMs), recovered: () => void (recovered += 1) } }),
    { clock },
  ).start();
  return { actor, clock, fences, recovered: () => recovered };
}

describe('self-fence machine', () => {
  it('never fences before a master acknowledged a renewal', () => {
    const f = start();
    f.clock.increment(3_600_000);
    expect(f.actor.getSnapshot().value).toBe('unarmed');
    expect(f.fences).toEqual([]);
  });

  it('fences once the time left at the last renewal ran out, once; each renewal sets a new deadline', () => {
    const f = start();
    // The acknowledged heartbeat was sent 300 ms ago: 3.7 s left of a 4 s period.
    f.actor.send({ type: 'lease.renewed', remainingMs: 3700, fenceAfterMs: 4000 });
    f.clock.increment(3000);
    f.actor.send({ type: 'lease.renewed', remainingMs: 3900, fenceAfterMs: 4000 });
    f.clock.increment(3899);
    expect(f.fences).toEqual([]);
    f.clock.increment(1);
    expect(f.actor.getSnapshot().value).toBe('fenced');
    expect(f.fences).toEqual([4000]);
    f.clock.increment(60_000);
    expect(f.fences).toEqual([4000]);
  });

  it('is armed again when a master counts the node alive after a fence', () => {
    const f = start();
    f.actor.send({ type: 'lease.renewed', remainingMs: 4000, fenceAfterMs: 4000 });
    f.clock.increment(4000);
    expect(f.fences).toHaveLength(1);
    f.actor.send({ type: 'lease.renewed', remainingMs: 4000, fenceAfterMs: 4000 });
    expect(f.actor.getSnapshot().value).toBe('armed');
    expect(f.recovered()).toBe(1);
    f.clock.increment(4000);
    expect(f.fences).toHaveLength(2);
  });

  it('fences at once on a renewal whose deadline already passed (its heartbeat was sent too long ago)', () => {
    const f = start();
    f.actor.send({ type: 'lease.renewed', remainingMs: -50, fenceAfterMs: 4000 });
    f.clock.increment(0);
    expect(f.actor.getSnapshot().value).toBe('fenced');
  });
});
