/**
 * The Job status the controller writes, a pure function of what one sync saw and decided
 * (Kubernetes' JobStatus: active, ready, succeeded, failed, startTime,
 * completionTime, uncountedTerminatedPods, conditions).
 */
import { jsonEqual, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import type { JobDecision } from './decide.ts';
import { finishedCondition, jobCondition, jobSpec, jobStatus } from './job-spec.ts';
import type { Tally } from './tracking.ts';

export interface JobPodCounts {
  active: number;
  ready: number;
}

export function calculateJobStatus(job: KubeObject, tally: Tally, pods: JobPodCounts, decision: JobDecision | undefined, now: number): JsonObject {
  const previous = jobStatus(job);
  let conditions = recordList(previous, 'conditions');
  const status: JsonObject = {
    active: pods.active,
    ready: pods.ready,
    succeeded: tally.succeeded,
    failed: tally.failed,
    uncountedTerminatedPods: uncountedOf(tally),
  };
  // A finished Job keeps its times; a running one takes the decision's.
  const finished = finishedCondition(job);
  const startTime = finished || !decision ? previous.startTime : decision.startTime === undefined ? undefined : toKubernetesTime(decision.startTime);
  if (startTime !== undefined) status.startTime = startTime;
  if (previous.completionTime !== undefined) status.completionTime = previous.completionTime;
  if (!finished && decision) {
    conditions = withSuspendedCondition(conditions, jobSpec(job).suspend, now);
    if (decision.finish) {
      conditions = [...conditions, jobCondition(decision.finish.type, 'True', decision.finish.reason, decision.finish.message, now)];
      if (decision.finish.type === 'Complete') status.completionTime = toKubernetesTime(now);
    }
  }
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

function uncountedOf(tally: Tally): JsonObject {
  const out: JsonObject = {};
  if (tally.uncounted.succeeded.length > 0) out.succeeded = tally.uncounted.succeeded;
  if (tally.uncounted.failed.length > 0) out.failed = tally.uncounted.failed;
  return out;
}

/** Suspended True (JobSuspended) while suspended; False (JobResumed) once resumed. */
function withSuspendedCondition(conditions: JsonObject[], suspend: boolean, now: number): JsonObject[] {
  const current = conditions.find((c) => c.type === 'Suspended');
  if (suspend === (current?.status === 'True')) return conditions;
  if (!suspend && !current) return conditions;
  const next = suspend ? jobCondition('Suspended', 'True', 'JobSuspended', 'Job suspended', now) : jobCondition('Suspended', 'False', 'JobResumed', 'Job resumed', now);
  return [...conditions.filter((c) => c.type !== 'Suspended'), next];
}

/** Whether `status` differs from what is stored. */
export function jobStatusChanged(job: KubeObject, status: JsonObject): boolean {
  return !jsonEqual(jobStatus(job), status);
}
