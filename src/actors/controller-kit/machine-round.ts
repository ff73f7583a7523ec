/**
 * How a controller waits for its object's machine: `sync` sends the actor what it observed, and
 * the machine runs a round of effects (states tagged busy, invoking what the controller
 * provided). `roundOver` resolves when that round is over, so the work queue keeps its meaning
 * (one sync of a key at a time; a failed round is retried with backoff) while the machine decides.
 */
import { waitFor, type Actor, type AnyMachineSnapshot, type AnyStateMachine, type SnapshotFrom } from 'xstate';

/** The actor's snapshot once it is out of every state tagged `busyTag`, or stopped or done. */
export function roundOver<M extends AnyStateMachine>(actor: Actor<M>, busyTag: string): Promise<SnapshotFrom<M>> {
  return waitFor(actor, (s) => {
    const snapshot = s as AnyMachineSnapshot;
    return snapshot.status !== 'active' || !snapshot.hasTag(busyTag);
  });
}
