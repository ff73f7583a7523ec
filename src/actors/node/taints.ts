/**
 * The taints the node lifecycle controller puts on nodes, named as Kubernetes names them
 * (k8s.io/api/core/v1 well_known_taints.go), and the pure list edits the effects make with them.
 * Which taint a node carries follows from the node machine's state (entry actions):
 * Ready False → `not-ready`, Ready Unknown → `unreachable`, each NoSchedule + NoExecute.
 */
import type { JsonObject } from '../../api/object.ts';
import type { TaintEffect } from './events.ts';

/** Ready is False: the daemon reports itself (or its runtime) unhealthy. */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
/** Ready is Unknown: heartbeats stopped arriving. */
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** Both effects, as the lifecycle controller applies them (NoSchedule for the scheduler, NoExecute for eviction). */
export const LIFECYCLE_TAINT_EFFECTS: readonly TaintEffect[] = ['NoSchedule', 'NoExecute'];

/**
 * `taints` with `key` present with each of `effects` (a NoExecute one stamped with `timeAdded`,
 * as Kubernetes does); undefined when nothing is missing.
 */
export function withTaint(taints: JsonObject[], key: string, effects: readonly TaintEffect[], timeAdded: string): JsonObject[] | undefined {
  const missing = effects.filter((effect) => !taints.some((t) => t.key === key && t.effect === effect));
  if (missing.length === 0) return undefined;
  return [...taints, ...missing.map((effect) => (effect === 'NoExecute' ? { key, effect, timeAdded } : { key, effect }))];
}

/** `taints` without any taint `key`; undefined when there was none. */
export function withoutTaint(taints: JsonObject[], key: string): JsonObject[] | undefined {
  const kept = taints.filter((t) => t.key !== key);
  return kept.length === taints.length ? undefined : kept;
}
