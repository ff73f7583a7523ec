/**
 * Pod failure back-off (Kubernetes' Job controller): a Job whose pods fail gets its replacement
 * pods only after an exponential delay — 10 s after the first failure, then 20 s, 40 s, … capped
 * at 6 minutes — counted over the failures since the Job's last success. Derived from the pods in
 * the store each sync (their finish times), so it survives a controller restart or a new leader.
 */
import { isRecord, type KubeObject } from '../../api/object.ts';
import { parseTime } from './job-spec.ts';

export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 6 * 60_000;

const statusOf = (pod: KubeObject): Record<string, unknown> => (isRecord(pod.status) ? pod.status : {});

/**
 * When a finished pod finished: its containers' latest `terminated.finishedAt`, else the latest
 * condition transition (the node reports Ready=False as it ends), else its creation.
 */
export function finishTimeOf(pod: KubeObject): number | undefined {
  const status = statusOf(pod);
  const latest = (times: (number | undefined)[]): number | undefined => {
    const known = times.filter((t): t is number => t !== undefined);
    return known.length ? Math.max(...known) : undefined;
  };
  const containers = [...asList(status.containerStatuses), ...asList(status.initContainerStatuses)];
  const finished = latest(containers.map((c) => parseTime(asRecord(asRecord(asRecord(c).state).terminated).finishedAt)));
  if (finished !== undefined) return finished;
  const transitioned = latest(asList(status.conditions).map((c) => parseTime(asRecord(c).lastTransitionTime)));
  return transitioned ?? parseTime(pod.metadata?.creationTimestamp);
}

/** The earliest time a new pod may be created for a Job with these pods; undefined when no back-off applies. */
export function podCreationAllowedAt(pods: readonly KubeObject[]): number | undefined {
  const finishes = (phase: string): number[] =>
    pods.filter((p) => statusOf(p).phase === phase).flatMap((p) => {
      const t = finishTimeOf(p);
      return t === undefined ? [] : [t];
    });
  const lastSuccess = Math.max(-Infinity, ...finishes('Succeeded'));
  const failures = finishes('Failed').filter((t) => t > lastSuccess);
  if (failures.length === 0) return undefined;
  const delay = Math.min(POD_FAILURE_BACKOFF_MS * 2 ** (failures.length - 1), MAX_POD_FAILURE_BACKOFF_MS);
  return Math.max(...failures) + delay;
}

function asRecord(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
