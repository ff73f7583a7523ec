/**
 * From a transition's `to` (dotted state paths from the machine's root, one per active leaf of a
 * parallel state, joined with `|`: `running.health.live.probing|running.readiness.ready`) to the
 * set of state ids that are active, ancestors included — what the statechart highlights.
 * Resolved against the machine's own description; a part written relative to its parallel state
 * (`…|readiness.ready`) is found under the nearest enclosing state that has it, too.
 */
import type { MachineDescription, StateDescription, TransitionDescription } from '../api/types.ts';

export interface ActiveStates {
  /** Every active state id, the root and each ancestor included. */
  ids: Set<string>;
  /** True when part of the path named no state of the machine (a newer server, or a typo). */
  unknown: boolean;
}

const childByKey = (s: StateDescription, key: string): StateDescription | undefined => s.states.find((c) => c.key === key);

/** The active states a path names; '' (before the first state) activates nothing. */
export function activeStates(machine: MachineDescription, path: string): ActiveStates {
  const root = machine.root;
  const ids = new Set<string>();
  let unknown = false;
  if (path === '') return { ids, unknown };
  ids.add(root.id);
  // The chain of states the previous segment walked, root first: a later region hangs off one of them.
  let chain: StateDescription[] = [root];
  for (const segment of path.split('|')) {
    let keys = segment.split('.').filter((k) => k !== '');
    // Accept paths written from the root's own key (`pod.running`) as well.
    if (keys[0] === root.key && !childByKey(root, root.key)) keys = keys.slice(1);
    if (keys.length === 0) continue;
    // From the root when the root has that child; else under the nearest state of the previous part that has.
    let at = childByKey(root, keys[0]!) ? 0 : chain.length - 1;
    while (at > 0 && !childByKey(chain[at]!, keys[0]!)) at--;
    const walked = chain.slice(0, at + 1);
    let node = walked[walked.length - 1]!;
    for (const key of keys) {
      const child = childByKey(node, key);
      if (!child) {
        unknown = true;
        break;
      }
      ids.add(child.id);
      walked.push(child);
      node = child;
    }
    chain = walked;
  }
  return { ids, unknown };
}

/** Every state of a machine by id. */
export function statesById(machine: MachineDescription): Map<string, StateDescription> {
  const out = new Map<string, StateDescription>();
  const walk = (s: StateDescription): void => {
    out.set(s.id, s);
    s.states.forEach(walk);
  };
  walk(machine.root);
  return out;
}

/** A transition of the machine, addressed as the statechart draws it. */
export interface TransitionRef {
  /** The state that declares it. */
  source: string;
  /** Its position among that state's transitions. */
  index: number;
  transition: TransitionDescription;
}

/** The id the statechart gives the edge of one transition to one target. */
export const edgeId = (ref: { source: string; index: number }, target: string): string => `${ref.source}#${ref.index}->${target}`;

/**
 * Which drawn edges a change of state took: transitions declared on a state active before, whose
 * target became active (newly, or re-entered), preferring those of the event that caused the change
 * (eventless and delayed ones fire inside another event's step, so they match by target alone).
 * A step through a transient state (`running` → `restarting` → `starting`: the inspector reports
 * only where the step ended) is found too: the event's transition into a state whose eventless
 * transition leads on to an active state — both edges.
 */
export function firedEdges(machine: MachineDescription, before: Set<string>, after: Set<string>, event: string): string[] {
  const states = statesById(machine);
  const exact: string[] = [];
  const byTarget: string[] = [];
  const viaTransient: string[] = [];
  for (const state of states.values()) {
    if (!before.has(state.id)) continue;
    state.transitions.forEach((transition, index) => {
      for (const target of transition.targets) {
        const id = edgeId({ source: state.id, index }, target);
        if (after.has(target)) {
          if (transition.event === event) exact.push(id);
          else if (!before.has(target)) byTarget.push(id);
        } else if (transition.event === event) {
          const onward = eventlessInto(states.get(target), after);
          if (onward.length > 0) viaTransient.push(id, ...onward);
        }
      }
    });
  }
  if (exact.length > 0) return exact;
  return viaTransient.length > 0 ? viaTransient : byTarget;
}

/** The eventless transitions of a transient state that lead into an active state. */
function eventlessInto(state: StateDescription | undefined, after: Set<string>): string[] {
  if (!state) return [];
  const out: string[] = [];
  state.transitions.forEach((t, index) => {
    if (t.event !== 'always') return;
    for (const target of t.targets) if (after.has(target)) out.push(edgeId({ source: state.id, index }, target));
  });
  return out;
}
