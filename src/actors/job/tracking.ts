/**
 * Counting finished pods exactly once, as Kubernetes' Job controller does (job tracking with
 * finalizers): every pod is created holding the finalizer `batch.kubernetes.io/job-tracking`, so
 * it cannot leave the store before it is counted. A pod that finished is first listed by uid in
 * `status.uncountedTerminatedPods`, then its finalizer is removed, then (next sync) its uid
 * moves from that list into `status.succeeded` / `status.failed`. A restart between any two
 * steps repeats a step, never a count.
 */
import { isRecord, type KubeObject } from '../../api/object.ts';
import { jobStatus } from './job-spec.ts';

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export interface Uncounted {
  succeeded: string[];
  failed: string[];
}

export interface Tally {
  /** Counted into status.succeeded / status.failed. */
  succeeded: number;
  failed: number;
  /** Finished, listed by uid, not yet counted. */
  uncounted: Uncounted;
}

export function holdsTrackingFinalizer(pod: KubeObject): boolean {
  return (pod.metadata?.finalizers ?? []).includes(TRACKING_FINALIZER);
}

const phaseOf = (pod: KubeObject): unknown => (isRecord(pod.status) ? pod.status.phase : undefined);

/**
 * How a pod ended: Succeeded or Failed by phase; deleted before finishing counts as failed
 * (Kubernetes: it never got the chance to fail), except while the Job is suspended (suspension
 * deleted it). undefined while it runs.
 */
export function podOutcome(pod: KubeObject, suspended: boolean): 'succeeded' | 'failed' | 'discarded' | undefined {
  const phase = phaseOf(pod);
  if (phase === 'Succeeded') return 'succeeded';
  if (phase === 'Failed') return 'failed';
  if (pod.metadata?.deletionTimestamp) return suspended ? 'discarded' : 'failed';
  return undefined;
}

function uidList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((u): u is string => typeof u === 'string') : [];
}

/**
 * The Job's tally after this look at its pods: uids whose pods no longer hold the finalizer (or
 * are gone) move into the counts; pods newly finished join the uncounted lists.
 */
export function tallyFinishedPods(job: KubeObject, pods: readonly KubeObject[], suspended: boolean): Tally {
  const status = jobStatus(job);
  const stored = isRecord(status.uncountedTerminatedPods) ? status.uncountedTerminatedPods : {};
  const tracked = new Map(pods.filter(holdsTrackingFinalizer).map((p) => [p.metadata?.uid ?? '', p]));
  const tally: Tally = {
    succeeded: typeof status.succeeded === 'number' ? status.succeeded : 0,
    failed: typeof status.failed === 'number' ? status.failed : 0,
    uncounted: { succeeded: [], failed: [] },
  };
  const listed = new Set<string>();
  for (const outcome of ['succeeded', 'failed'] as const) {
    for (const uid of uidList(stored[outcome])) {
      listed.add(uid);
      if (tracked.has(uid)) tally.uncounted[outcome].push(uid);
      else tally[outcome]++;
    }
  }
  for (const [uid, pod] of tracked) {
    const outcome = podOutcome(pod, suspended);
    if ((outcome === 'succeeded' || outcome === 'failed') && !listed.has(uid)) tally.uncounted[outcome].push(uid);
  }
  return tally;
}

/**
 * Pods whose finalizer may go once `tally` is written: listed ones and ones deleted while the
 * Job was suspended. (A finished Job's live pods are deleted, so they come back here counted.)
 */
export function podsToRelease(pods: readonly KubeObject[], tally: Tally, suspended: boolean): KubeObject[] {
  const listed = new Set([...tally.uncounted.succeeded, ...tally.uncounted.failed]);
  return pods.filter((p) => holdsTrackingFinalizer(p) && (listed.has(p.metadata?.uid ?? '') || podOutcome(p, suspended) === 'discarded'));
}
