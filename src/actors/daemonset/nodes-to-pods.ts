/** The DaemonSet's pods grouped by the node they are bound to, and the facts about a pod it counts on. */
import { isRecord, type KubeObject } from '../../api/object.ts';
import { REVISION_HASH_LABEL } from './template.ts';

export function nodeNameOf(pod: KubeObject): string {
  return isRecord(pod.spec) && typeof pod.spec.nodeName === 'string' ? pod.spec.nodeName : '';
}

export function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata?.deletionTimestamp);
}

export function isFailed(pod: KubeObject): boolean {
  return isRecord(pod.status) && pod.status.phase === 'Failed';
}

/** Made from the template revision `hash`. */
export function isUpdated(pod: KubeObject, hash: string): boolean {
  return pod.metadata?.labels?.[REVISION_HASH_LABEL] === hash;
}

function createdAt(pod: KubeObject): number {
  const t = Date.parse(pod.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** Oldest first; ties by name, so every sync picks the same pod. */
export function oldestFirst(pods: readonly KubeObject[]): KubeObject[] {
  return [...pods].sort((a, b) => createdAt(a) - createdAt(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** Pods by `spec.nodeName` ('' for pods not bound to a node). */
export function podsByNode(pods: readonly KubeObject[]): Map<string, KubeObject[]> {
  const byNode = new Map<string, KubeObject[]>();
  for (const pod of pods) {
    const node = nodeNameOf(pod);
    const list = byNode.get(node);
    if (list) list.push(pod);
    else byNode.set(node, [pod]);
  }
  return byNode;
}

export function isSucceeded(pod: KubeObject): boolean {
  return isRecord(pod.status) && pod.status.phase === 'Succeeded';
}
