/**
 * DaemonSet status (Kubernetes' updateDaemonSetStatus), a pure function of the DaemonSet, the
 * nodes and its pods: what `kubectl rollout status daemonset` and `kubectl get ds` read.
 */
import { isRecord, jsonEqual, type JsonObject, type KubeObject } from '../../api/object.ts';
import { isAvailable, isReady, readySince } from '../controller-kit/pods.ts';
import { isTerminating, isUpdated, oldestFirst, podsByNode } from './nodes-to-pods.ts';
import { placementOn } from './placement.ts';
import { minReadySecondsOf } from './rolling.ts';
import { daemonPodSpec } from './template.ts';

export interface DaemonSetStatus extends JsonObject {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  numberAvailable: number;
  numberUnavailable: number;
  updatedNumberScheduled: number;
  observedGeneration: number;
}

export function calculateStatus(ds: KubeObject, hash: string, nodes: readonly KubeObject[], pods: readonly KubeObject[], now: number): DaemonSetStatus {
  const podSpec = daemonPodSpec(ds);
  const byNode = podsByNode(pods);
  const minReadySeconds = minReadySecondsOf(ds);
  const s = { desired: 0, current: 0, misscheduled: 0, ready: 0, available: 0, updated: 0 };
  for (const node of nodes) {
    const here = byNode.get(node.metadata?.name ?? '') ?? [];
    if (!placementOn(podSpec, node).shouldRun) {
      if (here.length > 0) s.misscheduled++;
      continue;
    }
    s.desired++;
    if (here.length === 0) continue;
    s.current++;
    // The pod that counts: the oldest one not on its way out (else the oldest).
    const pod = oldestFirst(here.filter((p) => !isTerminating(p)))[0] ?? oldestFirst(here)[0];
    if (isUpdated(pod, hash)) s.updated++;
    if (isReady(pod)) s.ready++;
    if (isAvailable(pod, minReadySeconds, now)) s.available++;
  }
  const previous = isRecord(ds.status) ? ds.status : {};
  const status: DaemonSetStatus = {
    desiredNumberScheduled: s.desired,
    currentNumberScheduled: s.current,
    numberMisscheduled: s.misscheduled,
    numberReady: s.ready,
    numberAvailable: s.available,
    numberUnavailable: s.desired - s.available,
    updatedNumberScheduled: s.updated,
    observedGeneration: ds.metadata?.generation ?? 0,
  };
  // Fields this controller does not compute are kept (collisionCount, conditions).
  for (const field of ['collisionCount', 'conditions']) if (previous[field] !== undefined) status[field] = previous[field];
  return status;
}

export function statusChanged(ds: KubeObject, next: JsonObject): boolean {
  return !jsonEqual(ds.status ?? {}, next);
}

/**
 * Ms until the first of the DaemonSet's ready pods that is not yet available (ready for less
 * than minReadySeconds) becomes available; undefined when none is waiting. The machine looks
 * again then, since no watch event marks the moment.
 */
export function nextAvailableInMs(ds: KubeObject, pods: readonly KubeObject[], now: number): number | undefined {
  const minReadySeconds = minReadySecondsOf(ds);
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    const since = readySince(pod);
    if (isTerminating(pod) || since === undefined || isAvailable(pod, minReadySeconds, now)) continue;
    const wait = since + minReadySeconds * 1000 - now;
    next = Math.min(next ?? wait, wait);
  }
  return next;
}
