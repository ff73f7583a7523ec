/**
 * Pod control, as Kubernetes' RealPodControl / FakePodControl: how an owning controller (ReplicaSet,
 * Job, DaemonSet) creates and deletes its pods, with the Events Kubernetes records for each
 * (`SuccessfulCreate` / `FailedCreate`, `SuccessfulDelete` / `FailedDelete`, reason on the owner).
 * The real one writes through the Registry; the fake records the calls, for table tests that count
 * them.
 */
import { errorMessage } from '../../api/error-message.ts';
import { apiVersionOf, findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { refTo, type EventSink } from '../../registry/event-recorder.ts';
import type { Registry } from '../../registry/registry.ts';
import { isNotFound } from '../../registry/retry-on-conflict.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;

export interface PodControl {
  /** Create `pod` in the owner's namespace; the created pod. Records SuccessfulCreate or FailedCreate (and throws). */
  createPod(owner: KubeObject, pod: KubeObject): Promise<KubeObject>;
  /**
   * Delete `pod` (only that uid); false when it was already gone. Records SuccessfulDelete or
   * FailedDelete (and throws).
   */
  deletePod(owner: KubeObject, pod: KubeObject, opts?: { gracePeriodSeconds?: number }): Promise<boolean>;
}

export class RealPodControl implements PodControl {
  constructor(
    private readonly registry: Registry,
    private readonly events: EventSink,
    /** The owners' kind: Events name it even when a cached owner lacks its type meta. */
    private readonly ownerKind: ResourceInfo,
    /** The reporting component (`replicaset-controller`, `job-controller`, …). */
    private readonly source: { component: string },
  ) {}

  async createPod(owner: KubeObject, pod: KubeObject): Promise<KubeObject> {
    try {
      const created = await this.registry.create(PODS, owner.metadata?.namespace, pod);
      void this.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name ?? ''}`);
      return created;
    } catch (err) {
      void this.record(owner, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  }

  async deletePod(owner: KubeObject, pod: KubeObject, opts: { gracePeriodSeconds?: number } = {}): Promise<boolean> {
    const name = pod.metadata?.name ?? '';
    try {
      await this.registry.delete(PODS, pod.metadata?.namespace, name, {
        preconditions: { uid: pod.metadata?.uid },
        ...(opts.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: opts.gracePeriodSeconds }),
      });
      void this.record(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      void this.record(owner, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
      throw err;
    }
  }

  private record(owner: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const ref = refTo({ ...owner, apiVersion: apiVersionOf(this.ownerKind), kind: this.ownerKind.kind });
    return this.events.record(ref, type, reason, message, { source: this.source }).catch(() => undefined);
  }
}

/** Records every call; `createError` / `deleteError` make the next calls fail. */
export class FakePodControl implements PodControl {
  readonly created: { owner: string; pod: KubeObject }[] = [];
  readonly deleted: { owner: string; pod: string; gracePeriodSeconds?: number }[] = [];
  createError: Error | undefined;
  deleteError: Error | undefined;
  private sequence = 0;

  async createPod(owner: KubeObject, pod: KubeObject): Promise<KubeObject> {
    if (this.createError) throw this.createError;
    const name = pod.metadata?.name ?? `${pod.metadata?.generateName ?? 'pod-'}${++this.sequence}`;
    const created = { ...pod, metadata: { ...pod.metadata, name, uid: `fake-${this.sequence}` } };
    this.created.push({ owner: owner.metadata?.name ?? '', pod: created });
    return created;
  }

  async deletePod(owner: KubeObject, pod: KubeObject, opts: { gracePeriodSeconds?: number } = {}): Promise<boolean> {
    if (this.deleteError) throw this.deleteError;
    this.deleted.push({ owner: owner.metadata?.name ?? '', pod: pod.metadata?.name ?? '', ...opts });
    return true;
  }
}
