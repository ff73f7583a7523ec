/**
 * NodeReady: the node takes new pods — not cordoned (spec.unschedulable), no NoSchedule or
 * NoExecute taint the pod does not tolerate, and its Ready condition is True. (kube-scheduler
 * splits this into NodeUnschedulable and TaintToleration; not-ready nodes there carry taints.)
 * It reads the node's facts (node-facts.ts) and the pod's tolerations, both worked out once.
 * Evicting pods cannot fix any of these (UnschedulableAndUnresolvable: preemption skips the node).
 */
import { firstUntolerated, formatTaint, tolerates } from '../taints.ts';
import type { FilterPlugin } from '../types.ts';

const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

export const nodeReady: FilterPlugin = {
  name: 'NodeReady',
  filter(podInfo, nodeInfo) {
    const { facts } = nodeInfo;
    if (facts.unschedulable || facts.taints.length > 0) {
      const { tolerations } = podInfo;
      if (facts.unschedulable && !tolerations.some((t) => tolerates(t, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' }))) {
        return { reasons: ['node(s) were unschedulable'], unresolvable: true };
      }
      const untolerated = firstUntolerated(facts.taints, tolerations);
      if (untolerated) return { reasons: [`node(s) had untolerated taint ${formatTaint(untolerated)}`], unresolvable: true };
    }
    if (!facts.ready) return { reasons: ['node(s) were not ready'], unresolvable: true };
    return undefined;
  },
};
