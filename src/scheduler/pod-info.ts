/** What the scheduler computes once about a pod per attempt: its requests, host ports, tolerations (PodInfo). */
import { isRecord, recordList, type KubeObject } from '../api/object.ts';
import { podHostPorts } from './host-ports.ts';
import { podRequests } from './resources.ts';
import type { PodInfo } from './types.ts';

export function podInfoOf(pod: KubeObject): PodInfo {
  return { pod, requests: podRequests(pod), nonZeroRequests: podRequests(pod, true), hostPorts: podHostPorts(pod), tolerations: recordList(isRecord(pod.spec) ? pod.spec : undefined, 'tolerations') };
}
