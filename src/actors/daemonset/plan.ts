/**
 * What one round of a DaemonSet should do (pure): Kubernetes' `manage` (podsShouldBeOnNode) and
 * `rollingUpdate` (rolling.ts), over the nodes and the DaemonSet's own pods as the caches hold
 * them. The DaemonSet machine's `planning` step calls it; its guards pick one kind of work per
 * round from the result and its effects carry it out; expectations keep it from acting twice.
 */
import type { KubeObject } from '../../api/object.ts';
import { isAvailable, isReady } from '../controller-kit/pods.ts';
import { isFailed, isSucceeded, isTerminating, isUpdated, oldestFirst, podsByNode } from './nodes-to-pods.ts';
import { placementOn } from './placement.ts';
import { minReadySecondsOf, rollingUpdate, sortedByName, strategyOf, surgeCount } from './rolling.ts';
import { daemonPodSpec } from './template.ts';

export type DeleteReason =
  /** The node no longer matches the selector, affinity or taints. */
  | 'Misscheduled'
  /** More than one pod on the node: all but the oldest go (when surging: but the oldest old and oldest new). */
  | 'Duplicate'
  /** The pod failed: it is replaced (subject to the machine's back-off per node). */
  | 'Failed'
  /** The pod finished (a daemon never should): it is replaced. */
  | 'Succeeded'
  /** Its node is gone (or it was never bound): nobody will confirm a graceful stop. */
  | 'NodeGone'
  /** An old-template pod replaced by the rolling update. */
  | 'Update';

export interface PlannedDelete {
  pod: KubeObject;
  reason: DeleteReason;
}

/**
 * One round's candidate work, in the order the machine takes it (one kind per round, as
 * Kubernetes runs its rolling update only once manage's creates and deletes have been
 * observed): `delete`, else `create`, else `retire`, else `surge`. Acting on the rolling update
 * while a node still waits for its pod would take down a second node.
 */
export interface DaemonPlan {
  /** Pods that must go whatever the strategy (wrong node, duplicate, failed, node gone). */
  delete: PlannedDelete[];
  /** Nodes that need a pod. */
  create: string[];
  /** Old-template pods the rolling update takes down now (reason `Update`). */
  retire: PlannedDelete[];
  /** Nodes where the rolling update starts a new pod beside the old one (maxSurge > 0). */
  surge: string[];
}

export interface PlanInput {
  ds: KubeObject;
  hash: string;
  nodes: readonly KubeObject[];
  /** The pods this DaemonSet controls (terminating ones included). */
  pods: readonly KubeObject[];
  now: number;
}

export const EMPTY_PLAN: DaemonPlan = { delete: [], create: [], retire: [], surge: [] };

export function planSync(input: PlanInput): DaemonPlan {
  const plan = manage(input);
  if (strategyOf(input.ds).type === 'RollingUpdate') {
    const step = rollingUpdate(input);
    plan.retire = step.retire.map((pod) => ({ pod, reason: 'Update' }));
    plan.surge = step.surge;
  }
  return plan;
}

/** Pods to create and delete so each node has exactly the pods it should (Kubernetes' podsShouldBeOnNode). */
function manage({ ds, hash, nodes, pods, now }: PlanInput): DaemonPlan {
  const podSpec = daemonPodSpec(ds);
  const byNode = podsByNode(pods);
  const surging = surgeCount(ds, nodes.filter((n) => placementOn(podSpec, n).shouldRun).length) > 0;
  const minReadySeconds = minReadySecondsOf(ds);
  const plan: DaemonPlan = { delete: [], create: [], retire: [], surge: [] };
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
      for (const pod of live.filter(isSucceeded)) plan.delete.push({ pod, reason: 'Succeeded' });
      const running = oldestFirst(live.filter((p) => !isFailed(p) && !isSucceeded(p)));
      if (!surging) {
        for (const pod of running.slice(1)) plan.delete.push({ pod, reason: 'Duplicate' });
      } else if (running.length === 0) {
        // Surging: the node must keep one pod that is not on its way out.
        if (shouldRun) plan.create.push(name);
      } else {
        // Surging allows the oldest new pod beside the oldest old one while the old one is
        // ready and the new one not yet available; every other pod goes.
        const fresh = running.find((p) => isUpdated(p, hash));
        const old = running.find((p) => !isUpdated(p, hash));
        for (const pod of running) if (pod !== fresh && pod !== old) plan.delete.push({ pod, reason: 'Duplicate' });
        if (fresh && old && (!isReady(old) || isAvailable(fresh, minReadySeconds, now))) plan.delete.push({ pod: old, reason: 'Update' });
      }
    } else {
      for (const pod of live) plan.delete.push({ pod, reason: 'Misscheduled' });
    }
  }
  // What is left sits on nodes that do not exist (or on none).
  for (const pod of [...byNode.values()].flat()) if (!isTerminating(pod)) plan.delete.push({ pod, reason: 'NodeGone' });
  return plan;
}
