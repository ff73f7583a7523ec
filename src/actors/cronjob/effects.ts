/**
 * The CronJob controller's writes, all through the Registry: what the CronJob machine's effect
 * actions become (controller.ts supplies them). Create the Job for a scheduled time, delete a Job
 * (Replace, history cleanup: background propagation, its pods follow), write the CronJob's status,
 * and the Events Kubernetes' CronJob controller records.
 */
import { apiVersionOf, findKind, type ResourceInfo } from '../../api/kinds.ts';
import { isRecord, jsonEqual, type JsonObject, type KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { Registry } from '../../registry/registry.ts';
import { refTo, type EventSink, type EventType } from '../../registry/event-recorder.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { JOBS } from '../job/effects.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';
import { errorMessage } from '../../api/error-message.ts';
import { SCHEDULED_TIMESTAMP_ANNOTATION, type JobRef } from './jobs.ts';

export { SCHEDULED_TIMESTAMP_ANNOTATION } from './jobs.ts';
export const CRONJOBS = findKind('batch/v1', 'CronJob') as ResourceInfo;
const SOURCE = { component: 'cronjob-controller' };

/** `<cronjob>-<scheduled time in minutes since the epoch>`, as Kubernetes names them. */
export function jobNameFor(cronJob: KubeObject, scheduledAt: number): string {
  return `${cronJob.metadata?.name ?? ''}-${Math.floor(scheduledAt / 60_000)}`;
}

/** The Job the CronJob's jobTemplate describes for `scheduledAt` (Kubernetes' getJobFromTemplate2). */
export function jobFromTemplate(cronJob: KubeObject, scheduledAt: number): KubeObject {
  const spec = isRecord(cronJob.spec) ? cronJob.spec : {};
  const template = isRecord(spec.jobTemplate) ? spec.jobTemplate : {};
  const meta = isRecord(template.metadata) ? template.metadata : {};
  const annotations = isRecord(meta.annotations) ? (structuredClone(meta.annotations) as Record<string, string>) : {};
  annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = toKubernetesTime(scheduledAt);
  const metadata: KubeObject['metadata'] = {
    name: jobNameFor(cronJob, scheduledAt),
    namespace: cronJob.metadata?.namespace,
    annotations,
    ownerReferences: [controllerRefTo(CRONJOBS, cronJob)],
  };
  if (isRecord(meta.labels)) metadata.labels = structuredClone(meta.labels) as Record<string, string>;
  return { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: structuredClone(isRecord(template.spec) ? template.spec : {}) };
}

export class CronJobEffects {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventSink,
  ) {}

  /**
   * Creates the Job for `scheduledAt`. A Job of that name already made (before a restart, or by
   * an earlier leader) is returned instead: `created` tells which.
   */
  async createJob(cronJob: KubeObject, scheduledAt: number): Promise<{ job: KubeObject; created: boolean }> {
    const job = jobFromTemplate(cronJob, scheduledAt);
    try {
      const created = await this.registry.create(JOBS, cronJob.metadata?.namespace, job);
      void this.record(cronJob, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name ?? ''}`);
      return { job: created, created: true };
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return { job: await this.registry.get(JOBS, cronJob.metadata?.namespace, job.metadata?.name ?? ''), created: false };
      void this.record(cronJob, 'Warning', 'FailedCreate', `Error creating job: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Deletes `job` with background propagation; gone already is fine. */
  async deleteJob(cronJob: KubeObject, job: JobRef): Promise<void> {
    try {
      await this.registry.delete(JOBS, job.namespace ?? cronJob.metadata?.namespace, job.name, { propagationPolicy: 'Background', preconditions: { uid: job.uid } });
      void this.record(cronJob, 'Normal', 'SuccessfulDelete', `Deleted job ${job.name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Writes `status` when it differs from the stored one; false when the CronJob is gone or replaced. */
  async writeStatus(cronJob: KubeObject, status: JsonObject): Promise<boolean> {
    const namespace = cronJob.metadata?.namespace;
    const name = cronJob.metadata?.name ?? '';
    try {
      return await retryOnConflict(async () => {
        const current = await this.registry.get(CRONJOBS, namespace, name);
        if (current.metadata?.uid !== cronJob.metadata?.uid) return false;
        if (!jsonEqual(current.status ?? {}, status)) await this.registry.updateStatus(CRONJOBS, namespace, name, { ...current, status });
        return true;
      });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  record(cronJob: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    return this.events.record(refTo({ ...cronJob, apiVersion: apiVersionOf(CRONJOBS), kind: CRONJOBS.kind }), type, reason, message, { source: SOURCE });
  }
}
