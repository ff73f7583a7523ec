/**
 * A sync round between a controller and the machine of the object it syncs. The controller's
 * `sync(key)` gathers facts from its informers and sends them to the object's actor as one
 * observation carrying a round number; the machine chooses its next state by guards, runs the
 * effects that state invokes, and closes the round when they are done (or failed). `sync` waits
 * for that, so the work queue still runs one round per object at a time, and a round that failed
 * is retried with the queue's backoff, as Kubernetes requeues a sync that returned an error.
 *
 * The machine side: its context extends {@link RoundContext}; the observation opens the round
 * (`round` from the event, `pending: true`); an effect's done / error transition, or a transition
 * with nothing to do, closes it (`pending: false`, `roundError` on failure).
 */
import { waitFor, type AnyActorRef } from 'xstate';

/** What a machine that runs rounds keeps in its context. */
export interface RoundContext {
  /** The round last opened by an observation (0: none yet). */
  round: number;
  /** The round's effects are still running. */
  pending: boolean;
  /** Why the round failed; undefined when it succeeded. */
  roundError: unknown;
}

export const NO_ROUND: RoundContext = { round: 0, pending: false, roundError: undefined };

/** A round whose effects failed: `cause` is what the effect threw or reported. */
export class RoundFailedError extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'RoundFailedError';
  }
}

/** Numbers the rounds of one controller's actors and waits for each to close. */
export class Rounds {
  private last = 0;

  /**
   * Sends `observation` (numbered here) and resolves when the machine closed that round; throws
   * RoundFailedError when the round failed, and xstate's error when the actor stopped first (its
   * object went away).
   */
  async run<O extends { type: string }>(actor: AnyActorRef, observation: O): Promise<void> {
    const round = ++this.last;
    actor.send({ ...observation, round });
    const done = await waitFor(actor, (s: { context: RoundContext }) => s.context.round === round && !s.context.pending);
    const { roundError } = (done as { context: RoundContext }).context;
    if (roundError !== undefined) throw roundError instanceof Error ? roundError : new RoundFailedError(roundError);
  }
}
