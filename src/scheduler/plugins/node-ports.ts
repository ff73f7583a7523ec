/**
 * NodePorts: the host ports the pod asks for are free on the node (kube-scheduler's plugin of
 * that name). Reason as kube-scheduler: `node(s) didn't have free ports for the requested pod ports`.
 */
import type { FilterPlugin } from '../types.ts';

export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  skips: (pod) => pod.hostPorts.length === 0,
  filter(pod, node) {
    if (pod.hostPorts.length === 0 || node.usedPorts.empty) return undefined;
    return pod.hostPorts.some((p) => node.usedPorts.conflicts(p)) ? { reasons: ["node(s) didn't have free ports for the requested pod ports"] } : undefined;
  },
};
