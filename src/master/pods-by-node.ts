/**
 * One pod informer for every node the gateway serves, indexed by `spec.nodeName`, so each node's
 * channel gets exactly the pods bound to it (and hears when one goes).
 */
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isRecord, type KubeObject } from '../api/object.ts';
import type { Store } from '../store/types.ts';
import { objectInformer, type ObjectInformer } from '../registry/informers.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;

/** The node a pod is bound to, or undefined. */
export function nodeNameOf(pod: KubeObject): string | undefined {
  const name = isRecord(pod.spec) ? pod.spec.nodeName : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

export interface PodsByNodeListener {
  /** A pod bound to `nodeName` was added or changed (also when it is being deleted). */
  onPod(nodeName: string, pod: KubeObject): void;
  /** A pod bound to `nodeName` left the store. */
  onPodGone(nodeName: string, pod: KubeObject): void;
}

export class PodsByNode {
  private readonly byNode = new Map<string, Map<string, KubeObject>>();
  private readonly informer: ObjectInformer;

  constructor(store: Store, listener: PodsByNodeListener) {
    this.informer = objectInformer(store, PODS, {
      onAdd: (pod, key) => this.put(key, pod, listener),
      onUpdate: (_old, pod, key) => this.put(key, pod, listener),
      onDelete: (pod, key) => this.remove(key, pod, listener),
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** Pods bound to `nodeName`, as last seen. */
  podsOn(nodeName: string): KubeObject[] {
    return [...(this.byNode.get(nodeName)?.values() ?? [])];
  }

  private put(key: string, pod: KubeObject, listener: PodsByNodeListener): void {
    const nodeName = nodeNameOf(pod);
    if (!nodeName) return;
    let pods = this.byNode.get(nodeName);
    if (!pods) this.byNode.set(nodeName, (pods = new Map()));
    pods.set(key, pod);
    listener.onPod(nodeName, pod);
  }

  private remove(key: string, pod: KubeObject, listener: PodsByNodeListener): void {
    const nodeName = nodeNameOf(pod);
    if (!nodeName) return;
    const pods = this.byNode.get(nodeName);
    pods?.delete(key);
    if (pods?.size === 0) this.byNode.delete(nodeName);
    listener.onPodGone(nodeName, pod);
  }
}
