/**
 * NodeReady: the node takes new pods — not cordoned (spec.unschedulable), no NoSchedule or
 * NoExecute taint the pod does not tolerate, and its Ready condition is True. (kube-scheduler
 * splits this into NodeUnschedulable and TaintToleration; not-ready nodes there carry taints.)
 */
import { isRecord, recordList } from '../../api/object.ts';
import { formatTaint, taintsOf, tolerates } from '../taints.ts';
import type { FilterPlugin } from '../types.ts';

const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

export const nodeReady: FilterPlugin = {
  name: 'NodeReady',
  filter(podInfo, nodeInfo) {
    const spec = isRecord(nodeInfo.node.spec) ? nodeInfo.node.spec : undefined;
    const podSpec = isRecord(podInfo.pod.spec) ? podInfo.pod.spec : undefined;
    const tolerations = recordList(podSpec, 'tolerations');
    if (spec?.unschedulable === true && !tolerations.some((t) => tolerates(t, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' }))) {
      return { reasons: ['node(s) were unschedulable'] };
    }
    const untolerated = taintsOf(spec).find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((tol) => tolerates(tol, t)));
    if (untolerated) return { reasons: [`node(s) had untolerated taint ${formatTaint(untolerated)}`] };
    const status = isRecord(nodeInfo.node.status) ? nodeInfo.node.status : undefined;
    const ready = recordList(status, 'conditions').find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') return { reasons: ['node(s) were not ready'] };
    return undefined;
  },
};
