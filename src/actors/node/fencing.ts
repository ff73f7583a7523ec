/**
 * The node lifecycle's default graces and the self-fencing rule that makes failing a lost node's
 * pods safe for identities that must never run twice (StatefulSets). See README.md, "Timing".
 *
 * A master fails a node's pods `notReadyGrace + podFailGrace` after the leader last saw the
 * node's Lease renewed. A node daemon that has not had a heartbeat acknowledged as renewed for
 * `selfFenceAfter` stops every pod itself (SIGKILL). The node measures from the moment it SENT
 * the last acknowledged heartbeat, which is before the renewal was committed, which is before
 * the leader saw it; each side measures a duration on its own clock, so clock offsets do not
 * matter. Hence, with `stopBudget` the longest a stop of all pods may take:
 *
 *     selfFenceAfter + stopBudget + margin  ≤  notReadyGrace + podFailGrace
 *
 * guarantees the node's containers are stopped before the master fails their pods (and a
 * controller makes replacements elsewhere). The margin absorbs the node's timers firing late.
 */

/** Kubernetes' node-monitor-grace-period is 40 s (50 s from 1.32): kactus' heartbeats are 10× as frequent. */
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS = 4;
/** Kubernetes' pod-eviction-timeout was 5 min (now the taints' tolerationSeconds, 300 s). */
export const DEFAULT_POD_EVICTION_TIMEOUT_SECONDS = 3;
/** What a stop of every pod of a node may take (SIGKILL; Docker takes ~0.3 s a container here). */
export const SELF_FENCE_STOP_BUDGET_MS = 2000;
/** Slack for the node's timers firing late on a busy machine. */
export const SELF_FENCE_MARGIN_MS = 1000;
/** Never fence sooner than this: shorter silences are master failovers, not partitions. */
export const MIN_SELF_FENCE_MS = 2000;

/**
 * How long a node may go without a renewed heartbeat before it stops its pods, for a master
 * whose graces are these: their sum less the stop budget and the margin (at least
 * MIN_SELF_FENCE_MS; see `selfFencePrecedesFailure` for graces too short to keep the promise).
 */
export function selfFenceAfterMs(notReadyGraceMs: number, podFailGraceMs: number): number {
  return Math.max(MIN_SELF_FENCE_MS, notReadyGraceMs + podFailGraceMs - SELF_FENCE_STOP_BUDGET_MS - SELF_FENCE_MARGIN_MS);
}

/** The inequality above holds for these graces (false: a partitioned node may still run its pods when they are failed). */
export function selfFencePrecedesFailure(notReadyGraceMs: number, podFailGraceMs: number): boolean {
  return selfFenceAfterMs(notReadyGraceMs, podFailGraceMs) + SELF_FENCE_STOP_BUDGET_MS + SELF_FENCE_MARGIN_MS <= notReadyGraceMs + podFailGraceMs;
}
