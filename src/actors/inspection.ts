/**
 * One inspection stream for every actor: each state transition of an object's actor, and of the
 * machine actors it spawns or invokes (a pod's containers, their probers), becomes a
 * TransitionRecord (the shape of the `/kactus/v1/events` WebSocket stream, DESIGN.md §7) published
 * on a bus that logs, metrics, the event stream and the visualizer subscribe to.
 */
import type { InspectionEvent, StateValue } from 'xstate';
import type { TransitionRecord } from '../api/transition.ts';

export type { TransitionRecord } from '../api/transition.ts';

export interface ActorIdentity {
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  /**
   * The object's labels. Read at every transition, so a host that learns of new labels may
   * assign them here (ActorHost does on every object update).
   */
  labels?: Record<string, string>;
}

export type TransitionListener = (rec: TransitionRecord) => void;

/**
 * A state value as its active leaf paths, each in full from the root, joined with `|`:
 * `'idle'`, `{ running: 'backoff' }` → `running.backoff`, `{ a: 'x', b: { c: 'y' } }` → `a.x|b.c.y`,
 * `{ running: { health: 'live', readiness: 'ready' } }` → `running.health.live|running.readiness.ready`.
 */
export function stateValueToString(value: StateValue): string {
  return leafPaths(value, '').join('|');
}

function leafPaths(value: StateValue, prefix: string): string[] {
  if (typeof value === 'string') return [prefix + value];
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const path = prefix + key;
    const inner = child === undefined || (typeof child === 'object' && Object.keys(child).length === 0) ? [] : leafPaths(child as StateValue, `${path}.`);
    out.push(...(inner.length > 0 ? inner : [path]));
  }
  return out;
}

interface InspectedRef {
  id: string;
  sessionId: string;
  _parent?: InspectedRef;
}

/** A child's id path below the root actor: `container:app/probe:liveness`; '' for the root. */
function actorPath(ref: InspectedRef, rootId: string): string {
  const ids: string[] = [];
  for (let r: InspectedRef | undefined = ref; r && r.sessionId !== rootId; r = r._parent) ids.push(r.id);
  return ids.reverse().join('/');
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
   * An `inspect` callback for `createActor(machine, { inspect })` that publishes the state changes
   * of the root actor and of every machine actor below it (spawned or invoked children, with
   * `actor` = their id path) as TransitionRecords for `identity`. Actors without states (promises,
   * callbacks: effects) publish nothing. Every state passed through is published, also the
   * transient ones an eventless transition leaves in the same step, each with the event of the step.
   */
  inspectorFor(identity: ActorIdentity, now: () => Date = () => new Date()): (ev: InspectionEvent) => void {
    // Per actor instance, so a child restarted under the same id starts again from ''; weak, so
    // finished children (a prober per container run) are forgotten with their actor.
    const last = new WeakMap<object, string>();
    return (ev) => {
      // Microsteps too: a step through a transient state (`running` → `restarting` → `starting` by
      // an eventless transition) is two transitions a reader must see; the snapshot alone would
      // report only where the step came to rest.
      if (ev.type !== '@xstate.snapshot' && ev.type !== '@xstate.microstep') return;
      const snap = ev.snapshot as { value?: StateValue };
      if (snap.value === undefined) return;
      const to = stateValueToString(snap.value);
      const from = last.get(ev.actorRef) ?? '';
      if (to === from) return;
      last.set(ev.actorRef, to);
      const rec: TransitionRecord = {
        kind: identity.kind,
        namespace: identity.namespace ?? '',
        name: identity.name,
        uid: identity.uid,
        actor: actorPath(ev.actorRef as unknown as InspectedRef, ev.rootId),
        time: now().toISOString(),
        from,
        to,
        event: ev.event.type,
      };
      if (identity.labels && Object.keys(identity.labels).length > 0) rec.labels = identity.labels;
      this.publish(rec);
    };
  }
}
