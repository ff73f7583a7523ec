/**
 * Which nodes a DaemonSet's pod belongs on (Kubernetes' NodeShouldRunDaemonPod): the pod
 * template's nodeSelector and required node affinity must match the node, and the template's
 * tolerations (with the DaemonSet defaults, see template.ts) must tolerate the node's taints.
 * A NoSchedule taint keeps a new pod off the node but leaves a running one alone; an untolerated
 * NoExecute taint removes it too. Readiness and cordoning (`spec.unschedulable`) do not matter:
 * daemon pods tolerate both, as in Kubernetes.
 */
import { isRecord, optionalRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
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
  return recordList(required, 'nodeSelectorTerms').some((term) => termMatches(term, node));
}

function termMatches(term: JsonObject, node: KubeObject): boolean {
  const expressions = recordList(term, 'matchExpressions');
  const fields = recordList(term, 'matchFields');
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  // The only field Kubernetes supports in matchFields is metadata.name.
  const nodeFields: Record<string, string> = { 'metadata.name': node.metadata?.name ?? '' };
  return expressions.every((r) => requirementHolds(r, labels)) && fields.every((r) => requirementHolds(r, nodeFields));
}

/** One NodeSelectorRequirement against a label (or field) map. */
export function requirementHolds(req: JsonObject, values: Record<string, string>): boolean {
  const key = typeof req.key === 'string' ? req.key : '';
  const wanted = Array.isArray(req.values) ? req.values.map(String) : [];
  const has = Object.hasOwn(values, key);
  const value = values[key];
  switch (req.operator) {
    case 'In':
      return has && wanted.includes(value);
    case 'NotIn':
      return !has || !wanted.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || wanted.length !== 1) return false;
      const actual = parseInteger(value);
      const bound = parseInteger(wanted[0]);
      if (actual === undefined || bound === undefined) return false;
      return req.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

function parseInteger(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s.trim()) ? Number(s) : undefined;
}
