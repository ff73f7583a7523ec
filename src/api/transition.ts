/**
 * An actor transition as kactus publishes it: what the actors' inspection produces, what node
 * daemons send their master, what the transition log stores and what `/kactus/v1/events` streams
 * (src/apiserver/events/README.md). Pure data and its checks; no I/O.
 */

export interface TransitionRecord {
  /** The object's kind (`Pod`); a pod's container and probe actors are kind `Pod` too. */
  kind: string;
  /** `''` (or absent) for cluster-scoped objects. */
  namespace?: string;
  name: string;
  uid: string;
  /** `''` for the object's own machine; a child's id path below it (`container:app/probe:liveness`). */
  actor: string;
  /** RFC 3339 time of the transition (milliseconds). */
  time: string;
  /** The state before, as active leaf paths joined with `|`; `''` for the actor's first state. */
  from: string;
  to: string;
  /** The event type that caused it (`container.exited`; `xstate.init` for the first state). */
  event: string;
  /** The object's labels when the actor last heard of them. */
  labels?: Record<string, string>;
}

const isStr = (v: unknown): v is string => typeof v === 'string';

/** Longest string field a record may carry (names are at most 253, state paths are short). */
const MAX_FIELD = 1024;

function isLabels(v: unknown): v is Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every(isStr);
}

/** Whether `v` is a well-formed TransitionRecord (what a node may send). */
export function isTransitionRecord(v: unknown): v is TransitionRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  const fields = [r.kind, r.name, r.uid, r.actor, r.time, r.from, r.to, r.event];
  if (!fields.every((f) => isStr(f) && f.length <= MAX_FIELD)) return false;
  if (r.kind === '' || r.name === '') return false;
  if (r.namespace !== undefined && !(isStr(r.namespace) && r.namespace.length <= MAX_FIELD)) return false;
  return r.labels === undefined || isLabels(r.labels);
}

/** An xstate state value: a state key, or an object of regions. */
export type StatePathValue = string | { [key: string]: StatePathValue };

/**
 * The state value a `from`/`to` string names: `running.health.live|running.readiness.ready` →
 * `{ running: { health: 'live', readiness: 'ready' } }`. `''` → undefined.
 */
export function statePathToValue(path: string): StatePathValue | undefined {
  if (path === '') return undefined;
  const root: Record<string, unknown> = {};
  for (const leaf of path.split('|')) {
    const keys = leaf.split('.');
    let node = root;
    keys.forEach((key, i) => {
      if (i === keys.length - 1) {
        if (!(key in node)) node[key] = {};
        return;
      }
      const next = node[key];
      node = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : ((node[key] = {}) as Record<string, unknown>);
    });
  }
  return collapse(root);
}

/** `{ a: {} }` → `'a'`; `{ a: { b: {} } }` → `{ a: 'b' }`; regions stay objects. */
function collapse(node: Record<string, unknown>): StatePathValue {
  const keys = Object.keys(node);
  if (keys.length === 1) {
    const only = keys[0]!;
    const child = node[only] as Record<string, unknown>;
    if (Object.keys(child).length === 0) return only;
    return { [only]: collapse(child) };
  }
  const out: Record<string, StatePathValue> = {};
  for (const key of keys) {
    const child = node[key] as Record<string, unknown>;
    // An atomic region has no state below it: xstate's value for it is `{}`.
    out[key] = Object.keys(child).length === 0 ? {} : collapse(child);
  }
  return out;
}
