/**
 * NodeResourcesFit: the pod's cpu and memory requests fit in what the node's allocatable leaves
 * after the pods already on it, and one more pod fits its pod count. Reasons as kube-scheduler:
 * `Insufficient cpu`, `Insufficient memory`, `Too many pods`.
 */
import type { FilterPlugin } from '../types.ts';

/** Compared in millicores (Kubernetes' resolution), so 0.3 + 0.7 cores fit in 1. */
const cpuFits = (requested: number, wanted: number, allocatable: number): boolean => Math.round(requested * 1000) + Math.round(wanted * 1000) <= Math.round(allocatable * 1000);

export const nodeResourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(pod, node) {
    const { cpu, memory } = pod.requests;
    // The common case, without allocating: it fits.
    if (node.podCount + 1 <= node.allocatable.pods && (cpu <= 0 || cpuFits(node.requested.cpu, cpu, node.allocatable.cpu)) && (memory <= 0 || node.requested.memory + memory <= node.allocatable.memory)) return undefined;
    const reasons: string[] = [];
    if (node.podCount + 1 > node.allocatable.pods) reasons.push('Too many pods');
    if (cpu > 0 && !cpuFits(node.requested.cpu, cpu, node.allocatable.cpu)) reasons.push('Insufficient cpu');
    if (memory > 0 && node.requested.memory + memory > node.allocatable.memory) reasons.push('Insufficient memory');
    return reasons.length ? { reasons } : undefined;
  },
};
