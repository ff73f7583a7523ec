/**
 * A NodeInfo as it would be with some pods taken off or put on it (preemption's what-if,
 * nominated pods' room): a copy, the cache's own NodeInfo untouched. Costs O(pods on the node).
 */
import type { KubeObject } from '../api/object.ts';
import { HostPortUsage, podHostPorts } from './host-ports.ts';
import { podRequests } from './resources.ts';
import type { NodeInfo } from './types.ts';

const milli = (cores: number): number => Math.round(cores * 1000);

export function nodeInfoWith(node: NodeInfo, removed: readonly KubeObject[], added: readonly KubeObject[] = []): NodeInfo {
  const pods = new Map(node.pods);
  let cpu = milli(node.requested.cpu);
  let memory = node.requested.memory;
  let nzCpu = milli(node.nonZeroRequested.cpu);
  let nzMemory = node.nonZeroRequested.memory;
  const change = (pod: KubeObject, sign: 1 | -1): void => {
    const r = podRequests(pod);
    const nz = podRequests(pod, true);
    cpu += sign * milli(r.cpu);
    memory += sign * r.memory;
    nzCpu += sign * milli(nz.cpu);
    nzMemory += sign * nz.memory;
  };
  for (const pod of removed) {
    if (!pods.delete(pod.metadata?.uid ?? '')) continue;
    change(pod, -1);
  }
  for (const pod of added) {
    pods.set(pod.metadata?.uid ?? '', pod);
    change(pod, 1);
  }
  const usedPorts = new HostPortUsage();
  for (const pod of pods.values()) usedPorts.add(podHostPorts(pod));
  return {
    ...node,
    requested: { cpu: cpu / 1000, memory, pods: pods.size },
    nonZeroRequested: { cpu: nzCpu / 1000, memory: nzMemory, pods: pods.size },
    podCount: pods.size,
    usedPorts,
    pods,
  };
}
