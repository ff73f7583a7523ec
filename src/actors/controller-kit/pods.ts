/**
 * Pure facts about pods that the replica controllers count and rank (Kubernetes'
 * pkg/controller/controller_utils.go): which pods are active, ready, available, and in which
 * order to delete them when scaling down.
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';

const statusOf = (pod: KubeObject): JsonObject => (isRecord(pod.status) ? pod.status : {});
const phaseOf = (pod: KubeObject): unknown => statusOf(pod).phase;
const nodeNameOf = (pod: KubeObject): string => (isRecord(pod.spec) && typeof pod.spec.nodeName === 'string' ? pod.spec.nodeName : '');

/** Counts toward replicas: not finished (Succeeded/Failed) and not terminating. */
export function isActive(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

function readyCondition(pod: KubeObject): JsonObject | undefined {
  return recordList(statusOf(pod), 'conditions').find((c) => c.type === 'Ready');
}

/** The pod's Ready condition is True. */
export function isReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Epoch ms the pod became ready (its Ready condition's lastTransitionTime); undefined when not ready. */
export function readySince(pod: KubeObject): number | undefined {
  if (!isReady(pod)) return undefined;
  const t = Date.parse(String(readyCondition(pod)?.lastTransitionTime ?? ''));
  return Number.isNaN(t) ? 0 : t;
}

/** Ready for at least `minReadySeconds` at `now` (Kubernetes' IsPodAvailable). */
export function isAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  const since = readySince(pod);
  if (since === undefined) return false;
  return minReadySeconds <= 0 || since + minReadySeconds * 1000 <= now;
}

/** The ownerReference with `controller: true`, if any. */
export function controllerRefOf(obj: KubeObject): JsonObject | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restartsOf(pod: KubeObject): number {
  let max = 0;
  for (const c of recordList(statusOf(pod), 'containerStatuses')) max = Math.max(max, typeof c.restartCount === 'number' ? c.restartCount : 0);
  return max;
}

/**
 * Orders pods so the ones to delete first come first (Kubernetes' ActivePodsWithRanks):
 * unscheduled before scheduled; Pending before Unknown before Running; not ready before ready;
 * pods sharing a node with more of their siblings first; ready for less time first; more
 * restarts first; newest first.
 */
export function rankForDeletion(pods: readonly KubeObject[]): KubeObject[] {
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const node = nodeNameOf(p);
    if (node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const colocated = (p: KubeObject): number => perNode.get(nodeNameOf(p)) ?? 0;
  return [...pods].sort((a, b) => {
    const scheduled = Number(nodeNameOf(a) !== '') - Number(nodeNameOf(b) !== '');
    if (scheduled !== 0) return scheduled;
    const phase = (PHASE_RANK[String(phaseOf(a))] ?? 0) - (PHASE_RANK[String(phaseOf(b))] ?? 0);
    if (phase !== 0) return phase;
    const ready = Number(isReady(a)) - Number(isReady(b));
    if (ready !== 0) return ready;
    const rank = colocated(b) - colocated(a);
    if (rank !== 0) return rank;
    const readyFor = (readySince(b) ?? 0) - (readySince(a) ?? 0);
    if (readyFor !== 0) return readyFor;
    const restarts = restartsOf(b) - restartsOf(a);
    if (restarts !== 0) return restarts;
    return createdAt(b) - createdAt(a);
  });
}

function createdAt(pod: KubeObject): number {
  const t = Date.parse(pod.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}
