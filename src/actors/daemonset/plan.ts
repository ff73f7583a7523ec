/**
 * What one sync of a DaemonSet should do (pure): Kubernetes' `manage` (podsShouldBeOnNode) and
 * `rollingUpdate` for maxSurge 0, over the nodes and the DaemonSet's own pods as the caches hold
 * them. The controller carries the plan out; expectations keep it from acting twice.
 */
import { isRecord, optionalRecord, type KubeObject } from '../../api/object.ts';
import { isAvailable } from '../controller-kit/pods.ts';
import { isFailed, isTerminating, isUpdated, oldestFirst, podsByNode } from './nodes-to-pods.ts';
import { placementOn } from './placement.ts';
import { daemonPodSpec } from './template.ts';

export type DeleteReason =
  /** The node no longer matches the selector, affinity or taints. */
  | 'Misscheduled'
  /** More than one pod on the node: all but the oldest go. */
  | 'Duplicate'
  /** The pod failed: it is replaced (subject to the controller's back-off). */
  | 'Failed'
  /** Its node is gone (or it was never bound): nobody will confirm a graceful stop. */
  | 'NodeGone'
  /** An old-template pod replaced by the rolling update. */
  | 'Update';

export interface PlannedDelete {
  pod: KubeObject;
  reason: DeleteReason;
}

/**
 * One round's work, in the order the controller does it (one kind per round, as Kubernetes runs
 * its rolling update only once manage's creates and deletes have been observed): `delete`, else
 * `create`, else `update`. Acting on `update` while a node still waits for its pod would take
 * down a second node.
 */
export interface DaemonPlan {
  /** Pods that must go whatever the strategy (wrong node, duplicate, failed, node gone). */
  delete: PlannedDelete[];
  /** Nodes that need a pod. */
  create: string[];
  /** Old-template pods the rolling update takes down now (reason `Update`). */
  update: PlannedDelete[];
}

export interface PlanInput {
  ds: KubeObject;
  hash: string;
  nodes: readonly KubeObject[];
  /** The pods this DaemonSet controls (terminating ones included). */
  pods: readonly KubeObject[];
  now: number;
}

export function planSync(input: PlanInput): DaemonPlan {
  const plan = manage(input);
  if (strategyOf(input.ds).type === 'RollingUpdate') plan.update = rollingUpdate(input).map((pod) => ({ pod, reason: 'Update' }));
  return plan;
}

/** Pods to create and delete so each node has exactly the pods it should (Kubernetes' podsShouldBeOnNode). */
function manage({ ds, nodes, pods }: PlanInput): DaemonPlan {
  const podSpec = daemonPodSpec(ds);
  const byNode = podsByNode(pods);
  const plan: DaemonPlan = { delete: [], create: [], update: [] };
  for (const node of sortedByName(nodes)) {
    const name = node.metadata?.name ?? '';
    const here = byNode.get(name) ?? [];
    byNode.delete(name);
    const { shouldRun, shouldContinueRunning } = placementOn(podSpec, node);
    const live = here.filter((p) => !isTerminating(p));
    if (shouldRun && here.length === 0) {
      plan.create.push(name);
    } else if (shouldContinueRunning) {
      for (const pod of live.filter(isFailed)) plan.delete.push({ pod, reason: 'Failed' });
      const [, ...extra] = oldestFirst(live.filter((p) => !isFailed(p)));
      for (const pod of extra) plan.delete.push({ pod, reason: 'Duplicate' });
    } else {
      for (const pod of live) plan.delete.push({ pod, reason: 'Misscheduled' });
    }
  }
  // What is left sits on nodes that do not exist (or on none).
  for (const pod of [...byNode.values()].flat()) if (!isTerminating(pod)) plan.delete.push({ pod, reason: 'NodeGone' });
  return plan;
}

/**
 * Old-template pods to delete now (Kubernetes' rollingUpdate with maxSurge 0): unavailable old
 * pods always; available ones while fewer than maxUnavailable nodes are unavailable. A node whose
 * pods are all terminating, or whose new pod is not yet available, counts as unavailable, so the
 * next old pod goes only when the previous node's new pod is available.
 */
function rollingUpdate({ ds, hash, nodes, pods, now }: PlanInput): KubeObject[] {
  const podSpec = daemonPodSpec(ds);
  const byNode = podsByNode(pods);
  const minReadySeconds = minReadySecondsOf(ds);
  const desired = nodes.filter((n) => placementOn(podSpec, n).shouldRun).length;
  const maxUnavailable = maxUnavailableOf(ds, desired);
  let unavailable = 0;
  const replacements: KubeObject[] = [];
  const candidates: KubeObject[] = [];
  for (const node of sortedByName(nodes)) {
    const here = byNode.get(node.metadata?.name ?? '');
    if (!here || !placementOn(podSpec, node).shouldContinueRunning) continue;
    const live = here.filter((p) => !isTerminating(p));
    const fresh = live.filter((p) => isUpdated(p, hash));
    const old = live.filter((p) => !isUpdated(p, hash));
    if (fresh.length + old.length !== 1 || live.some(isFailed)) {
      // Nothing running, or duplicates and failures that manage() clears first: unavailable.
      unavailable++;
    } else if (fresh.length === 1) {
      if (!isAvailable(fresh[0], minReadySeconds, now)) unavailable++;
    } else if (!isAvailable(old[0], minReadySeconds, now)) {
      replacements.push(old[0]);
    } else {
      candidates.push(old[0]);
    }
  }
  const room = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length);
  return [...replacements, ...candidates.slice(0, room)];
}

export interface UpdateStrategy {
  type: 'RollingUpdate' | 'OnDelete';
  maxUnavailable: unknown;
}

export function strategyOf(ds: KubeObject): UpdateStrategy {
  const strategy = optionalRecord(isRecord(ds.spec) ? ds.spec : undefined, 'updateStrategy') ?? {};
  const rolling = optionalRecord(strategy, 'rollingUpdate') ?? {};
  return { type: strategy.type === 'OnDelete' ? 'OnDelete' : 'RollingUpdate', maxUnavailable: rolling.maxUnavailable ?? 1 };
}

/** maxUnavailable as a node count: an integer, or a percentage of `desired` rounded up; at least 1. */
export function maxUnavailableOf(ds: KubeObject, desired: number): number {
  const value = strategyOf(ds).maxUnavailable;
  let n = 1;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\d+%$/.test(value)) n = Math.ceil((Number.parseInt(value, 10) * desired) / 100);
  else if (typeof value === 'string' && /^\d+$/.test(value)) n = Number(value);
  // Kubernetes makes 0 (with maxSurge 0, which is all we do) mean 1, or nothing would ever move.
  return Math.max(n, 1);
}

export function minReadySecondsOf(ds: KubeObject): number {
  const spec = isRecord(ds.spec) ? ds.spec : {};
  return typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
}

function sortedByName(nodes: readonly KubeObject[]): KubeObject[] {
  return [...nodes].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}
