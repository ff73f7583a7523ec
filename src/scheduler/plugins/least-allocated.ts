/**
 * LeastAllocated (NodeResourcesFit's default scoring strategy): prefer the node with the most
 * free cpu and memory after placing the pod, equal weights, using the non-zero request defaults
 * so pods that request nothing still spread. Score = mean of (allocatable − requested) × 100 / allocatable.
 */
import type { ScorePlugin } from '../types.ts';

function free(requested: number, allocatable: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return ((allocatable - requested) * 100) / allocatable;
}

export const leastAllocated: ScorePlugin = {
  name: 'LeastAllocated',
  score(pod, node) {
    const cpu = free(node.nonZeroRequested.cpu + pod.nonZeroRequests.cpu, node.allocatable.cpu);
    const memory = free(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, node.allocatable.memory);
    return Math.floor((cpu + memory) / 2);
  },
};
