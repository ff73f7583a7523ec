/**
 * The node's pod actors' transitions on their way to the master (`actor.transitions` on the actor
 * channel), which appends them to the transition log: the event stream and the actors' history.
 *
 * - Batched: everything published in one turn of the event loop (and whatever arrived while the
 *   previous message was being written) goes in one message, at most MAX_TRANSITIONS_PER_MESSAGE.
 * - One message in flight; a send that fails (the channel broke) puts its batch back in front.
 * - Bounded: at most `maxPending` wait; while the master is unreachable the oldest are dropped and
 *   counted (telemetry, not acknowledged data: the store holds the pods' truth). The count since
 *   the last message travels in its `dropped`.
 */
import type { TransitionRecord } from '../src/api/transition.ts';
import { MAX_TRANSITIONS_PER_MESSAGE, type ActorTransitions } from '../src/net/messages.ts';

/** Transitions kept while the master is unreachable. */
export const MAX_PENDING_TRANSITIONS = 10_000;

/** Sends one message; undefined when there is no channel right now. */
export type SendTransitions = (body: ActorTransitions) => Promise<void> | undefined;

export class TransitionOutbox {
  private queue: TransitionRecord[] = [];
  private inFlight = false;
  private scheduled = false;
  private droppedSinceSent = 0;
  private droppedTotal = 0;

  constructor(
    private readonly send: SendTransitions,
    private readonly maxPending = MAX_PENDING_TRANSITIONS,
  ) {}

  /** Queue one transition (an InspectionBus listener). */
  push(rec: TransitionRecord): void {
    this.queue.push(rec);
    const over = this.queue.length - this.maxPending;
    if (over > 0) this.drop(over);
    this.schedule();
  }

  /** A channel is (again) open: send what waits. */
  connected(): void {
    this.schedule();
  }

  /** Transitions waiting (not yet handed to a channel). */
  get pending(): number {
    return this.queue.length;
  }

  /** Transitions dropped since the daemon started. */
  get dropped(): number {
    return this.droppedTotal;
  }

  private drop(n: number): void {
    this.queue.splice(0, n);
    this.droppedSinceSent += n;
    this.droppedTotal += n;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const items = this.queue.slice(0, MAX_TRANSITIONS_PER_MESSAGE);
    const dropped = this.droppedSinceSent;
    const sending = this.send(dropped > 0 ? { items, dropped } : { items });
    if (!sending) return; // no channel: connected() sends them
    this.queue.splice(0, items.length);
    this.droppedSinceSent = 0;
    this.inFlight = true;
    sending.then(
      () => {
        this.inFlight = false;
        this.schedule();
      },
      () => {
        // Not delivered: back in front (still bounded), for the next channel.
        this.inFlight = false;
        this.queue = [...items, ...this.queue];
        this.droppedSinceSent += dropped;
        const over = this.queue.length - this.maxPending;
        if (over > 0) this.drop(over);
      },
    );
  }
}
