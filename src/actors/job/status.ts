/**
 * The Job status is a pure function of the Job machine's context (Kubernetes' JobStatus: active,
 * ready, succeeded, failed, startTime, completionTime, uncountedTerminatedPods, conditions), and
 * a stored Job reads back into a context: what a machine spawned by a new leader starts from.
 */
import { isRecord, jsonEqual, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import type { JobContext, JobFinish, JobMachineInput, Suspension } from './context.ts';
import { jobCondition, jobSpec, jobStatus, parseTime } from './job-spec.ts';
import type { Uncounted } from './tracking.ts';

export function jobStatusOf(c: JobContext): JsonObject {
  const status: JsonObject = {
    active: c.active,
    ready: c.ready,
    succeeded: c.succeeded,
    failed: c.failed,
    uncountedTerminatedPods: uncountedOf(c.uncounted),
  };
  if (c.startTime !== undefined) status.startTime = toKubernetesTime(c.startTime);
  if (c.completionTime !== undefined) status.completionTime = toKubernetesTime(c.completionTime);
  const conditions: JsonObject[] = [];
  if (c.suspension) conditions.push(suspendedCondition(c.suspension));
  if (c.finish) conditions.push(jobCondition(c.finish.type, 'True', c.finish.reason, c.finish.message, c.finish.at));
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

function suspendedCondition(s: Suspension): JsonObject {
  return s.suspended ? jobCondition('Suspended', 'True', 'JobSuspended', 'Job suspended', s.at) : jobCondition('Suspended', 'False', 'JobResumed', 'Job resumed', s.at);
}

function uncountedOf(u: Uncounted): JsonObject {
  const out: JsonObject = {};
  if (u.succeeded.length > 0) out.succeeded = u.succeeded;
  if (u.failed.length > 0) out.failed = u.failed;
  return out;
}

/** The context the stored `job` describes, observed at `now`. */
export function jobMachineInput(job: KubeObject, now: number): JobMachineInput {
  const status = jobStatus(job);
  const count = (v: unknown): number => (typeof v === 'number' ? v : 0);
  const uncounted = isRecord(status.uncountedTerminatedPods) ? status.uncountedTerminatedPods : {};
  const uids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((u): u is string => typeof u === 'string') : []);
  const input: JobMachineInput = {
    spec: jobSpec(job),
    at: now,
    active: count(status.active),
    ready: count(status.ready),
    succeeded: count(status.succeeded),
    failed: count(status.failed),
    uncounted: { succeeded: uids(uncounted.succeeded), failed: uids(uncounted.failed) },
  };
  const startTime = parseTime(status.startTime);
  const completionTime = parseTime(status.completionTime);
  if (startTime !== undefined) input.startTime = startTime;
  if (completionTime !== undefined) input.completionTime = completionTime;
  const finish = storedFinish(job);
  if (finish) input.finish = finish;
  const suspended = recordList(status, 'conditions').find((c) => c.type === 'Suspended');
  if (suspended) input.suspension = { suspended: suspended.status === 'True', at: parseTime(suspended.lastTransitionTime) ?? 0 };
  return input;
}

function storedFinish(job: KubeObject): JobFinish | undefined {
  for (const c of recordList(jobStatus(job), 'conditions')) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') {
      return { type: c.type, reason: String(c.reason ?? ''), message: String(c.message ?? ''), at: parseTime(c.lastTransitionTime) ?? 0 };
    }
  }
  return undefined;
}

/** Whether `status` differs from what is stored. */
export function jobStatusChanged(job: KubeObject, status: JsonObject): boolean {
  return !jsonEqual(jobStatus(job), status);
}
