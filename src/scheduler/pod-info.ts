/** What the scheduler computes once about a pod per attempt: its requests, host ports, tolerations, priority (PodInfo). */
import { isRecord, recordList, type KubeObject } from '../api/object.ts';
import { podHostPorts } from './host-ports.ts';
import { podRequests } from './resources.ts';
import type { PodInfo } from './types.ts';

/** `spec.priority` (set from the PriorityClass at admission); 0 when absent. */
export function priorityOf(pod: KubeObject): number {
  const priority = isRecord(pod.spec) ? pod.spec.priority : undefined;
  return typeof priority === 'number' ? priority : 0;
}

export function podInfoOf(pod: KubeObject): PodInfo {
  return {
    pod,
    requests: podRequests(pod),
    nonZeroRequests: podRequests(pod, true),
    hostPorts: podHostPorts(pod),
    tolerations: recordList(isRecord(pod.spec) ? pod.spec : undefined, 'tolerations'),
    priority: priorityOf(pod),
    cycle: new Map(),
  };
}
