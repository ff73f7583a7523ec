/**
 * Actors as the stream reports them: each one's current state and its recent transitions, keyed
 * by object uid and child actor (`''` for the object's own machine, `container:web`,
 * `container:web/probe:liveness`). Also the replay of a history: every actor's state at any point
 * of it, for the timeline. Pure data, no DOM.
 */
import type { Transition } from '../api/types.ts';

export interface ActorState {
  key: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  actor: string;
  /** Which machine of the catalogue draws it (`Pod`, `Pod/container`, `Pod/probe`). */
  machineKind: string;
  /** The last transition (its `to` is the current state). */
  last: Transition;
  /** The latest transitions, oldest first (at most RECENT). */
  recent: Transition[];
}

export const RECENT = 12;

export const actorKey = (t: { uid: string; actor: string }): string => `${t.uid}/${t.actor}`;

/** A child actor's machine is named after its object's kind and the child's type: `Pod/container`. */
export function machineKindOf(t: { kind: string; actor: string }): string {
  if (t.actor === '') return t.kind;
  const last = t.actor.split('/').pop()!;
  const colon = last.indexOf(':');
  return `${t.kind}/${colon >= 0 ? last.slice(0, colon) : last}`;
}

/** The child's own name: `container:web/probe:liveness` → `liveness`. */
export function childName(actor: string): string {
  const last = actor.split('/').pop() ?? '';
  return last.slice(last.indexOf(':') + 1);
}

/** The parent of a child actor (`container:web` for its probes, `''` for a container). */
export function parentActor(actor: string): string | undefined {
  if (actor === '') return undefined;
  const slash = actor.lastIndexOf('/');
  return slash < 0 ? '' : actor.slice(0, slash);
}

export class ActorTable {
  private readonly actors = new Map<string, ActorState>();

  /** Records a transition (or snapshot); returns the actor's new state. One older than the last seen is ignored. */
  apply(t: Transition): ActorState {
    const key = actorKey(t);
    const known = this.actors.get(key);
    if (known && t.index < known.last.index) return known;
    // The same transition again (a snapshot after a reconnect) replaces, never repeats.
    const earlier = known ? known.recent.filter((r) => r.index !== t.index) : [];
    const recent = [...earlier, t].slice(-RECENT);
    const state: ActorState = { key, kind: t.kind, namespace: t.namespace, name: t.name, uid: t.uid, actor: t.actor, machineKind: machineKindOf(t), last: t, recent };
    this.actors.set(key, state);
    return state;
  }

  /** Forgets every actor of an object (it was deleted). */
  removeObject(uid: string): void {
    for (const key of [...this.actors.keys()]) if (key.startsWith(`${uid}/`)) this.actors.delete(key);
  }

  clear(): void {
    this.actors.clear();
  }

  get(key: string): ActorState | undefined {
    return this.actors.get(key);
  }

  /** Every actor, objects' own machines first, then by name and actor. */
  list(): ActorState[] {
    return [...this.actors.values()].sort((a, b) => a.name.localeCompare(b.name) || a.actor.localeCompare(b.actor));
  }

  /** The child actors of one object. */
  children(uid: string): ActorState[] {
    return this.list().filter((a) => a.uid === uid && a.actor !== '');
  }
}

/** Each actor's last transition at or before `position` (an index into `history`, which is in stream order). */
export function replayAt(history: readonly Transition[], position: number): Map<string, Transition> {
  const out = new Map<string, Transition>();
  for (let i = 0; i <= position && i < history.length; i++) out.set(actorKey(history[i]!), history[i]!);
  return out;
}

/** Merges live transitions into a history (by index, no duplicates), keeping stream order. */
export function mergeHistory(history: readonly Transition[], more: readonly Transition[]): Transition[] {
  const seen = new Set(history.map((t) => `${t.index}/${actorKey(t)}`));
  const merged = [...history];
  for (const t of more) {
    const id = `${t.index}/${actorKey(t)}`;
    if (!seen.has(id)) {
      seen.add(id);
      merged.push(t);
    }
  }
  return merged.sort((a, b) => a.index - b.index);
}

/** One actor in its object's tree: the object's own machine at the root, containers below it, probes below those. */
export interface ActorNode {
  actor: string;
  machineKind: string;
  /** The transition into its current (or replayed) state. */
  at: Transition;
  children: ActorNode[];
}

/** The tree of one object's actors from each one's latest transition; orphans (parent not seen yet) become roots. */
export function actorTree(latest: Iterable<Transition>): ActorNode[] {
  const nodes = new Map<string, ActorNode>();
  for (const t of latest) nodes.set(t.actor, { actor: t.actor, machineKind: machineKindOf(t), at: t, children: [] });
  const roots: ActorNode[] = [];
  for (const node of [...nodes.values()].sort((a, b) => a.actor.localeCompare(b.actor))) {
    const parent = parentActor(node.actor);
    const into = parent !== undefined ? nodes.get(parent) : undefined;
    if (into) into.children.push(node);
    else roots.push(node);
  }
  return roots;
}
