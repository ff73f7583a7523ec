/**
 * Which nodes a DaemonSet's pod belongs on (Kubernetes' NodeShouldRunDaemonPod): the pod
 * template's nodeSelector and required node affinity must match the node, and the template's
 * tolerations (with the DaemonSet defaults, see template.ts) must tolerate the node's taints.
 * A NoSchedule taint keeps a new pod off the node but leaves a running one alone; an untolerated
 * NoExecute taint removes it too. Readiness and cordoning (`spec.unschedulable`) do not matter:
 * daemon pods tolerate both, as in Kubernetes.
 */
import { isRecord, optionalRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { nodeSelectorMatches } from '../../api/node-selector.ts';
import { taintsOf, tolerates } from '../../scheduler/taints.ts';

export interface Placement {
  /** A pod should be created here if none exists. */
  shouldRun: boolean;
  /** A pod already here may stay. */
  shouldContinueRunning: boolean;
}

/** Where the pod of `podSpec` (the DaemonSet's template spec, default tolerations added) belongs relative to `node`. */
export function placementOn(podSpec: JsonObject, node: KubeObject): Placement {
  if (!matchesNodeSelector(podSpec, node) || !matchesRequiredAffinity(podSpec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = recordList(podSpec, 'tolerations');
  const untolerated = taintsOf(isRecord(node.spec) ? node.spec : undefined).filter((t) => !tolerations.some((tol) => tolerates(tol, t)));
  return {
    shouldRun: !untolerated.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
    shouldContinueRunning: !untolerated.some((t) => t.effect === 'NoExecute'),
  };
}

/** Every `spec.nodeSelector` label is on the node with that value. */
function matchesNodeSelector(podSpec: JsonObject, node: KubeObject): boolean {
  const selector = optionalRecord(podSpec, 'nodeSelector') ?? {};
  const labels = node.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`: the terms are ORed;
 * within a term every expression and field requirement must hold; a term with neither matches
 * nothing, as does an empty term list (Kubernetes' NodeSelector semantics).
 */
function matchesRequiredAffinity(podSpec: JsonObject, node: KubeObject): boolean {
  const required = optionalRecord(optionalRecord(optionalRecord(podSpec, 'affinity'), 'nodeAffinity'), 'requiredDuringSchedulingIgnoredDuringExecution');
  if (!required) return true;
  return nodeSelectorMatches(required, node);
}
