/**
 * The scheduler's view of the cluster: nodes, and the pods placed on each (bound pods from the
 * informer, plus pods this scheduler has just bound — "assumed" — until the informer shows them
 * bound, so two pods are never placed on room only one of them fits).
 */
import { isRecord, type KubeObject } from '../api/object.ts';
import { add, allocatableOf, podRequests, zero } from './resources.ts';
import type { NodeInfo } from './types.ts';

const isTerminal = (pod: KubeObject): boolean => {
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  return phase === 'Succeeded' || phase === 'Failed';
};

export function boundNode(pod: KubeObject): string | undefined {
  const name = isRecord(pod.spec) ? pod.spec.nodeName : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, KubeObject>();
  /** uid → [node, pod] of pods that hold room on a node. */
  private readonly placed = new Map<string, { nodeName: string; pod: KubeObject }>();

  setNode(node: KubeObject): void {
    this.nodes.set(node.metadata?.name ?? '', node);
  }

  removeNode(node: KubeObject): void {
    this.nodes.delete(node.metadata?.name ?? '');
  }

  /** A pod as the informer sees it: it holds room while bound and not finished. */
  setPod(pod: KubeObject): void {
    const uid = pod.metadata?.uid ?? '';
    const nodeName = boundNode(pod);
    if (nodeName && !isTerminal(pod)) this.placed.set(uid, { nodeName, pod });
    else if (nodeName || !this.placed.has(uid)) this.placed.delete(uid);
    // An unbound pod that this scheduler assumed keeps its room until the informer shows it bound.
  }

  removePod(pod: KubeObject): void {
    this.placed.delete(pod.metadata?.uid ?? '');
  }

  /** The scheduler bound `pod` to `nodeName`: count it there now. */
  assume(pod: KubeObject, nodeName: string): void {
    this.placed.set(pod.metadata?.uid ?? '', { nodeName, pod });
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  nodeInfos(): NodeInfo[] {
    const infos = new Map<string, NodeInfo>();
    for (const [name, node] of this.nodes) {
      infos.set(name, { name, node, allocatable: allocatableOf(node), requested: zero(), nonZeroRequested: zero(), podCount: 0 });
    }
    for (const { nodeName, pod } of this.placed.values()) {
      const info = infos.get(nodeName);
      if (!info) continue;
      info.requested = add(info.requested, podRequests(pod));
      info.nonZeroRequested = add(info.nonZeroRequested, podRequests(pod, true));
      info.podCount++;
    }
    return [...infos.values()];
  }
}
