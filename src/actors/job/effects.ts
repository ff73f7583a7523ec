/**
 * The Job controller's writes, all through the Registry: what the Job machine's effect actions
 * become (controller.ts supplies them). Create a pod from the template (holding the tracking
 * finalizer), delete a pod, release a pod's finalizer, write the Job's status, delete a finished
 * Job whose TTL ran out, record the machine's Events. Pod creates and deletes record the Events
 * Kubernetes' Job controller records (SuccessfulCreate, FailedCreate, SuccessfulDelete).
 */
import { RealPodControl, type PodControl } from '../controller-kit/pod-control.ts';
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import type { EventSink, ObjectRef } from '../../registry/event-recorder.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { podFromTemplate } from '../controller-kit/owner-refs.ts';
import { jobStatusChanged } from './status.ts';
import type { JobEventRecord } from './machine.ts';
import { TRACKING_FINALIZER } from './tracking.ts';

export const JOBS = findKind('batch/v1', 'Job') as ResourceInfo;
export const PODS = findKind('v1', 'Pod') as ResourceInfo;
const SOURCE = { component: 'job-controller' };

export class JobEffects {
  private readonly log: Logger;
  private readonly pods: PodControl;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventSink,
    logger?: Logger,
    pods?: PodControl,
  ) {
    this.log = logger ?? pino({ level: 'silent' });
    this.pods = pods ?? new RealPodControl(registry, events, JOBS, SOURCE);
  }

  /** Records one of the machine's Events (Completed, BackoffLimitExceeded, Suspended, ...) on the Job. */
  record(job: ObjectRef, rec: JobEventRecord): void {
    this.events.record(job, rec.type, rec.reason, rec.message, { source: SOURCE }).catch((err: unknown) => this.log.debug({ err }, 'could not record job event'));
  }

  /** A pod from the Job's template, controlled by the Job and holding the tracking finalizer. */
  async createPod(job: KubeObject): Promise<void> {
    const pod = podFromTemplate(JOBS, job);
    const metadata = pod.metadata ?? {};
    pod.metadata = { ...metadata, finalizers: [...(metadata.finalizers ?? []), TRACKING_FINALIZER] };
    await this.pods.createPod(job, pod);
  }

  /** Deletes `pod`; false when it was already gone. */
  deletePod(job: KubeObject, pod: KubeObject): Promise<boolean> {
    return this.pods.deletePod(job, pod);
  }

  /** Removes the tracking finalizer from `pod` (it has been counted, or its Job is gone). */
  async releasePod(pod: KubeObject): Promise<void> {
    const namespace = pod.metadata?.namespace;
    const name = pod.metadata?.name ?? '';
    try {
      await retryOnConflict(async () => {
        const current = await this.registry.get(PODS, namespace, name);
        const finalizers = current.metadata?.finalizers ?? [];
        if (current.metadata?.uid !== pod.metadata?.uid || !finalizers.includes(TRACKING_FINALIZER)) return;
        const metadata = { ...current.metadata, finalizers: finalizers.filter((f) => f !== TRACKING_FINALIZER) };
        await this.registry.update(PODS, namespace, name, { ...current, metadata });
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Writes `status` on the Job when it differs from the stored one; false when the Job is gone or replaced. */
  async writeStatus(job: KubeObject, status: JsonObject): Promise<boolean> {
    const namespace = job.metadata?.namespace;
    const name = job.metadata?.name ?? '';
    try {
      return await retryOnConflict(async () => {
        const current = await this.registry.get(JOBS, namespace, name);
        if (current.metadata?.uid !== job.metadata?.uid) return false;
        if (jobStatusChanged(current, status)) await this.registry.updateStatus(JOBS, namespace, name, { ...current, status });
        return true;
      });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Deletes the finished Job, its pods following in the background (ttlSecondsAfterFinished). */
  async deleteJob(job: KubeObject): Promise<void> {
    try {
      await this.registry.delete(JOBS, job.metadata?.namespace, job.metadata?.name ?? '', { propagationPolicy: 'Background', preconditions: { uid: job.metadata?.uid } });
      this.log.debug({ job: job.metadata?.name }, 'deleted finished job after its TTL');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
