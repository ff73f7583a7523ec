/** What the scheduler computes once about a pod: its requests and host ports (PodInfo). */
import type { KubeObject } from '../api/object.ts';
import { podHostPorts } from './host-ports.ts';
import { podRequests } from './resources.ts';
import type { PodInfo } from './types.ts';

export function podInfoOf(pod: KubeObject): PodInfo {
  return { pod, requests: podRequests(pod), nonZeroRequests: podRequests(pod, true), hostPorts: podHostPorts(pod) };
}
