/**
 * One inspection stream for every actor: each state transition becomes a TransitionRecord
 * (the shape of the `/kactus/v1/events` WebSocket stream, DESIGN.md §7) published on a bus
 * that logs, metrics, the event stream and the visualizer subscribe to.
 */
import type { InspectionEvent, StateValue } from 'xstate';

export interface ActorIdentity {
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
}

export interface TransitionRecord extends ActorIdentity {
  /** RFC 3339 time of the transition. */
  time: string;
  /** State before, as a dotted path (`running.backoff`); '' for the initial state. */
  from: string;
  to: string;
  /** The event type that caused it (`container.exited`). */
  event: string;
}

export type TransitionListener = (rec: TransitionRecord) => void;

/** Dotted path of a (possibly nested, possibly parallel) state value: `a.b` or `a.b|c.d`. */
export function stateValueToString(value: StateValue): string {
  if (typeof value === 'string') return value;
  const parts = Object.entries(value).map(([k, v]) => {
    const inner = v === undefined ? '' : stateValueToString(v as StateValue);
    return inner ? `${k}.${inner}` : k;
  });
  return parts.join('|');
}

export class InspectionBus {
  private readonly listeners = new Set<TransitionListener>();

  subscribe(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(rec: TransitionRecord): void {
    for (const l of this.listeners) {
      try {
        l(rec);
      } catch {
        // A failing subscriber must not break the actor that transitioned or the others.
      }
    }
  }

  /**
   * An `inspect` callback for `createActor(machine, { inspect })` that publishes the root
   * actor's state changes as TransitionRecords for `identity`.
   */
  inspectorFor(identity: ActorIdentity, now: () => Date = () => new Date()): (ev: InspectionEvent) => void {
    let last: string | undefined;
    return (ev) => {
      if (ev.type !== '@xstate.snapshot') return;
      // Only the root actor's own states; children (invoked effects) have their own records.
      if ((ev.actorRef as { sessionId?: string }).sessionId !== ev.rootId) return;
      const snap = ev.snapshot as { value?: StateValue };
      if (snap.value === undefined) return;
      const to = stateValueToString(snap.value);
      if (to === last) return;
      const from = last ?? '';
      last = to;
      this.publish({ ...identity, time: now().toISOString(), from, to, event: ev.event.type });
    };
  }
}
