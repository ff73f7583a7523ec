import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { daemonSetMachine, type DaemonSetCounts } from './machine.ts';

const observed = (c: DaemonSetCounts) => ({ type: 'daemonset.observed' as const, ...c });

describe('daemonSetMachine', () => {
  it('progressing → ready → updating → ready → terminating', () => {
    const actor = createActor(daemonSetMachine, { input: { desired: 0, updated: 0, available: 0, misscheduled: 0 } }).start();
    const states: string[] = [String(actor.getSnapshot().value)];
    actor.subscribe((s) => states.push(String(s.value)));
    actor.send(observed({ desired: 2, updated: 2, available: 1, misscheduled: 0 }));
    actor.send(observed({ desired: 2, updated: 2, available: 2, misscheduled: 0 }));
    actor.send(observed({ desired: 2, updated: 1, available: 1, misscheduled: 0 }));
    actor.send(observed({ desired: 2, updated: 2, available: 2, misscheduled: 1 }));
    actor.send(observed({ desired: 2, updated: 2, available: 2, misscheduled: 0 }));
    actor.send({ type: 'owner.deleting' });
    actor.send(observed({ desired: 2, updated: 2, available: 2, misscheduled: 0 }));
    expect(states).toEqual(['progressing', 'progressing', 'ready', 'updating', 'progressing', 'ready', 'terminating', 'terminating']);
    expect(actor.getSnapshot().context).toEqual({ desired: 2, updated: 2, available: 2, misscheduled: 0 });
    actor.stop();
  });
});
