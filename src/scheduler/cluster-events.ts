/**
 * Which cluster events may let a parked (unschedulable) pod fit, as kube-scheduler's queueing
 * events: a node update counts only when it changes what the filters read — allocatable, labels,
 * taints, `spec.unschedulable`, or a condition's status. Heartbeats (a condition's times, the
 * node's images, its addresses) move nothing, so a fleet's status writes do not flood the
 * active queue with pods that still fit nowhere.
 */
import { isRecord, jsonEqual, recordList, type KubeObject } from '../api/object.ts';

const statusOf = (node: KubeObject): Record<string, unknown> => (isRecord(node.status) ? node.status : {});
const specOf = (node: KubeObject): Record<string, unknown> => (isRecord(node.spec) ? node.spec : {});
const conditionStatuses = (node: KubeObject): string =>
  recordList(statusOf(node), 'conditions')
    .map((c) => `${String(c.type)}=${String(c.status)}`)
    .sort()
    .join(',');

/** True when the update may make the node take a pod it refused before. */
export function nodeSchedulingChanged(old: KubeObject, node: KubeObject): boolean {
  return (
    !jsonEqual(statusOf(old).allocatable ?? null, statusOf(node).allocatable ?? null) ||
    !jsonEqual(old.metadata?.labels ?? {}, node.metadata?.labels ?? {}) ||
    !jsonEqual(specOf(old).taints ?? [], specOf(node).taints ?? []) ||
    Boolean(specOf(old).unschedulable) !== Boolean(specOf(node).unschedulable) ||
    conditionStatuses(old) !== conditionStatuses(node)
  );
}
