/**
 * `format=stately`: the stream as `@statelyai/inspect`'s WebSocket inspector would send it
 * (its `StatelyInspectionEvent`s, version 0.7.2), so Stately's inspector shows kactus' actors.
 * Per connection: an actor is announced (`@xstate.actor`, with its machine's definition when the
 * server has it) the first time it appears; each transition is then an `@xstate.event` and an
 * `@xstate.snapshot`. Kubernetes Events have no place in that format and are not sent.
 */
import { statePathToValue, type TransitionRecord } from '../../api/transition.ts';
import type { LoggedTransition } from '../../registry/transition-log/entries.ts';

/** The `@statelyai/inspect` version whose event format this is. */
export const STATELY_INSPECT_VERSION = '0.7.2';

/** `Pod/default/web` for an object's own actor, `Pod/default/web/container:app` for a child (`_` for no namespace). */
export function sessionIdOf(rec: Pick<TransitionRecord, 'kind' | 'namespace' | 'name'>, actor: string): string {
  const root = `${rec.kind}/${rec.namespace || '_'}/${rec.name}`;
  return actor === '' ? root : `${root}/${actor}`;
}

/** The catalogue kind of an actor's machine: the object's kind, or `Pod/container`, `Pod/probe` for children. */
export function machineKindOf(rec: Pick<TransitionRecord, 'kind' | 'actor'>): string {
  if (rec.actor === '') return rec.kind;
  const last = rec.actor.slice(rec.actor.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return `${rec.kind}/${colon > 0 ? last.slice(0, colon) : last}`;
}

function parentActor(actor: string): string | undefined {
  if (actor === '') return undefined;
  const slash = actor.lastIndexOf('/');
  return slash < 0 ? '' : actor.slice(0, slash);
}

const snapshotOf = (to: string) => ({ status: 'active', value: statePathToValue(to) ?? {}, context: {} });

export class StatelyConverter {
  /** Actors announced on this connection (sessionIds). */
  private readonly announced = new Set<string>();

  constructor(private readonly definitionOf: (machineKind: string) => string | undefined = () => undefined) {}

  /** An actor's current state at connect: its announcement. */
  snapshot(entry: LoggedTransition): string[] {
    return [this.actorMessage(entry.record)];
  }

  /** A transition: the actor's announcement the first time, then the event and the new snapshot. */
  transition(entry: LoggedTransition): string[] {
    const rec = entry.record;
    const out: string[] = [];
    const sessionId = sessionIdOf(rec, rec.actor);
    if (!this.announced.has(sessionId)) out.push(this.actorMessage(rec));
    const base = { sessionId, rootId: sessionIdOf(rec, ''), createdAt: String(Date.parse(rec.time) || 0), id: null, _version: STATELY_INSPECT_VERSION };
    out.push(JSON.stringify({ type: '@xstate.event', event: { type: rec.event }, ...base }));
    out.push(JSON.stringify({ type: '@xstate.snapshot', event: { type: rec.event }, snapshot: snapshotOf(rec.to), ...base }));
    return out;
  }

  private actorMessage(rec: TransitionRecord): string {
    const sessionId = sessionIdOf(rec, rec.actor);
    this.announced.add(sessionId);
    const parent = parentActor(rec.actor);
    const name = machineKindOf(rec);
    return JSON.stringify({
      type: '@xstate.actor',
      name,
      sessionId,
      parentId: parent === undefined ? undefined : sessionIdOf(rec, parent),
      rootId: sessionIdOf(rec, ''),
      definition: this.definitionOf(name) ?? JSON.stringify({ id: name }),
      snapshot: snapshotOf(rec.to),
      createdAt: String(Date.parse(rec.time) || 0),
      id: null,
      _version: STATELY_INSPECT_VERSION,
    });
  }
}
