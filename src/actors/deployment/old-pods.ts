/**
 * Which ReplicaSets still have pods that are not finished (phase neither Succeeded nor Failed,
 * terminating ones included), from a pod informer: Recreate must not start new pods while any
 * pod of an old set is left (Kubernetes' recreate.go oldPodsRunning). Only keys are kept here;
 * the pods themselves live in the informer's cache.
 */
import type { KubeObject } from '../../api/object.ts';
import { isRecord } from '../../api/object.ts';
import { controllerRefOf } from './objects.ts';

function running(pod: KubeObject): boolean {
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export interface PodOwner {
  namespace: string | undefined;
  /** The controlling ReplicaSet's name. */
  name: string;
}

export class RunningPodsByOwner {
  /** Controller uid → keys of its running pods. */
  private readonly byOwner = new Map<string, Set<string>>();

  /**
   * Records `pod` (or its removal when `gone`); returns its owner when the owner just lost a
   * running pod, so the caller can look at that owner's Deployment again.
   */
  observe(pod: KubeObject, key: string, gone: boolean): PodOwner | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || typeof ref.uid !== 'string' || typeof ref.name !== 'string') return undefined;
    const keys = this.byOwner.get(ref.uid);
    const had = keys?.has(key) ?? false;
    if (!gone && running(pod)) {
      if (keys) keys.add(key);
      else this.byOwner.set(ref.uid, new Set([key]));
      return undefined;
    }
    if (!had) return undefined;
    keys?.delete(key);
    if (keys?.size === 0) this.byOwner.delete(ref.uid);
    return { namespace: pod.metadata?.namespace, name: ref.name };
  }

  /** True when any of the sets with these uids has a pod not yet finished. */
  anyRunning(ownerUids: readonly string[]): boolean {
    return ownerUids.some((uid) => (this.byOwner.get(uid)?.size ?? 0) > 0);
  }
}
