/**
 * NodeResourcesFit: the pod's cpu and memory requests fit in what the node's allocatable leaves
 * after the pods already on it, and one more pod fits its pod count. Reasons as kube-scheduler:
 * `Insufficient cpu`, `Insufficient memory`, `Too many pods`.
 */
import type { FilterPlugin } from '../types.ts';

export const nodeResourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(pod, node) {
    const reasons: string[] = [];
    if (node.podCount + 1 > node.allocatable.pods) reasons.push('Too many pods');
    const { cpu, memory } = pod.requests;
    if (cpu > 0 && node.requested.cpu + cpu > node.allocatable.cpu) reasons.push('Insufficient cpu');
    if (memory > 0 && node.requested.memory + memory > node.allocatable.memory) reasons.push('Insufficient memory');
    return reasons.length ? { reasons } : undefined;
  },
};
