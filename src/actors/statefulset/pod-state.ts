/**
 * What the StatefulSet controller asks of a pod (Kubernetes' stateful_set_utils.go): running and
 * ready, available (ready for minReadySeconds), healthy (running, ready and not terminating),
 * finished (Failed or Succeeded: replaced), pending, terminating.
 */
import { isRecord, type KubeObject } from '../../api/object.ts';
import { isAvailable, isReady, readySince } from '../controller-kit/pods.ts';

const phaseOf = (pod: KubeObject): unknown => (isRecord(pod.status) ? pod.status.phase : undefined);

export const isTerminating = (pod: KubeObject): boolean => Boolean(pod.metadata?.deletionTimestamp);
export const isPending = (pod: KubeObject): boolean => phaseOf(pod) === 'Pending' || phaseOf(pod) === undefined;
/** Failed or Succeeded: the pod will not run again; Kubernetes deletes it and makes a new one. */
export const isFinished = (pod: KubeObject): boolean => phaseOf(pod) === 'Failed' || phaseOf(pod) === 'Succeeded';
export const isRunningAndReady = (pod: KubeObject): boolean => phaseOf(pod) === 'Running' && isReady(pod);
export const isRunningAndAvailable = (pod: KubeObject, minReadySeconds: number, now: number): boolean => phaseOf(pod) === 'Running' && isAvailable(pod, minReadySeconds, now);
export const isHealthy = (pod: KubeObject): boolean => isRunningAndReady(pod) && !isTerminating(pod);

/** Ms until the first running, ready pod that is not yet available becomes so; undefined when none will. */
export function nextAvailableInMs(pods: readonly KubeObject[], minReadySeconds: number, now: number): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    if (!isRunningAndReady(pod) || isTerminating(pod)) continue;
    const at = (readySince(pod) ?? now) + minReadySeconds * 1000;
    if (at > now) next = Math.min(next ?? Infinity, at - now);
  }
  return next;
}
