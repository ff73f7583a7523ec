/**
 * NodeReady: the node takes new pods — not cordoned (spec.unschedulable), no NoSchedule or
 * NoExecute taint the pod does not tolerate, and its Ready condition is True. (kube-scheduler
 * splits this into NodeUnschedulable and TaintToleration; not-ready nodes there carry taints.)
 *
 * It runs for every node of every decision, so what it reads from a node object (and a pod's
 * tolerations) is worked out once per object and kept beside it (objects are replaced, never
 * changed, when they are updated).
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { formatTaint, taintsOf, tolerates, type Taint } from '../taints.ts';
import type { FilterPlugin } from '../types.ts';

const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

interface NodeFacts {
  unschedulable: boolean;
  /** NoSchedule and NoExecute taints. */
  taints: Taint[];
  ready: boolean;
}

const nodeFacts = new WeakMap<KubeObject, NodeFacts>();
const podTolerations = new WeakMap<KubeObject, JsonObject[]>();

function factsOf(node: KubeObject): NodeFacts {
  let facts = nodeFacts.get(node);
  if (!facts) {
    const spec = isRecord(node.spec) ? node.spec : undefined;
    const status = isRecord(node.status) ? node.status : undefined;
    facts = {
      unschedulable: spec?.unschedulable === true,
      taints: taintsOf(spec).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
      ready: recordList(status, 'conditions').find((c) => c.type === 'Ready')?.status === 'True',
    };
    nodeFacts.set(node, facts);
  }
  return facts;
}

function tolerationsOf(pod: KubeObject): JsonObject[] {
  let tolerations = podTolerations.get(pod);
  if (!tolerations) {
    tolerations = recordList(isRecord(pod.spec) ? pod.spec : undefined, 'tolerations');
    podTolerations.set(pod, tolerations);
  }
  return tolerations;
}

export const nodeReady: FilterPlugin = {
  name: 'NodeReady',
  filter(podInfo, nodeInfo) {
    const facts = factsOf(nodeInfo.node);
    if (facts.unschedulable || facts.taints.length > 0) {
      const tolerations = tolerationsOf(podInfo.pod);
      if (facts.unschedulable && !tolerations.some((t) => tolerates(t, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' }))) {
        return { reasons: ['node(s) were unschedulable'] };
      }
      const untolerated = facts.taints.find((t) => !tolerations.some((tol) => tolerates(tol, t)));
      if (untolerated) return { reasons: [`node(s) had untolerated taint ${formatTaint(untolerated)}`] };
    }
    if (!facts.ready) return { reasons: ['node(s) were not ready'] };
    return undefined;
  },
};
