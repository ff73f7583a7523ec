/**
 * The replica controllers' writes, all through the Registry (Kubernetes' RealPodControl plus the
 * ref manager's patches and the status update): create a pod from the owner's template, delete
 * a pod, adopt or release a pod, write the owner's status. Each records the Event Kubernetes
 * records (SuccessfulCreate, FailedCreate, SuccessfulDelete, ...).
 */
import { apiVersionOf, findKind, type ResourceInfo } from '../../api/kinds.ts';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import type { Registry } from '../../registry/registry.ts';
import { refTo, type EventSink } from '../../registry/event-recorder.ts';
import { isNotFound, retryOnConflict } from '../../registry/retry-on-conflict.ts';
import type { ReplicaKind } from './replica-kind.ts';
import { statusChanged } from './status.ts';
import { controllerRefTo, podFromTemplate } from '../controller-kit/owner-refs.ts';
import { RealPodControl, type PodControl } from '../controller-kit/pod-control.ts';

export const PODS = findKind('v1', 'Pod') as ResourceInfo;

export class ReplicaEffects {
  private readonly source: { component: string };
  private readonly pods: PodControl;

  constructor(
    private readonly kind: ReplicaKind,
    private readonly registry: Registry,
    private readonly events: EventSink,
    pods?: PodControl,
  ) {
    this.source = { component: kind.component };
    this.pods = pods ?? new RealPodControl(registry, events, kind.info, this.source);
  }

  async createPod(owner: KubeObject): Promise<void> {
    await this.pods.createPod(owner, podFromTemplate(this.kind.info, owner));
  }

  /** Deletes `pod`; false when it was already gone. */
  deletePod(owner: KubeObject, pod: KubeObject): Promise<boolean> {
    return this.pods.deletePod(owner, pod);
  }

  /** Makes `owner` the pod's controller (an orphan the selector matches). False when the pod changed under us. */
  async adopt(owner: KubeObject, pod: KubeObject): Promise<boolean> {
    return this.updatePod(pod, (current) => {
      const refs = current.metadata?.ownerReferences ?? [];
      if (refs.some((r) => r.controller === true)) return undefined;
      return [...refs.filter((r) => r.uid !== owner.metadata?.uid), controllerRefTo(this.kind.info, owner)];
    });
  }

  /** Removes `owner`'s reference from a pod its selector no longer matches. */
  async release(owner: KubeObject, pod: KubeObject): Promise<boolean> {
    return this.updatePod(pod, (current) => {
      const refs = current.metadata?.ownerReferences ?? [];
      const kept = refs.filter((r) => r.uid !== owner.metadata?.uid);
      return kept.length === refs.length ? undefined : kept;
    });
  }

  /** Writes `status` on the owner when it differs from the stored one (re-read on conflict). */
  async writeStatus(owner: KubeObject, status: JsonObject): Promise<void> {
    const namespace = owner.metadata?.namespace;
    const name = owner.metadata?.name ?? '';
    try {
      await retryOnConflict(async () => {
        const current = await this.registry.get(this.kind.info, namespace, name);
        if (current.metadata?.uid !== owner.metadata?.uid || !statusChanged(current, status)) return;
        await this.registry.updateStatus(this.kind.info, namespace, name, { ...current, status });
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Read-modify-write of the pod's ownerReferences, only while it is the same pod. */
  private async updatePod(pod: KubeObject, change: (current: KubeObject) => JsonObject[] | undefined): Promise<boolean> {
    const namespace = pod.metadata?.namespace;
    const name = pod.metadata?.name ?? '';
    try {
      return await retryOnConflict(async () => {
        const current = await this.registry.get(PODS, namespace, name);
        if (current.metadata?.uid !== pod.metadata?.uid || current.metadata?.deletionTimestamp) return false;
        const refs = change(current);
        if (!refs) return false;
        const metadata = { ...current.metadata };
        if (refs.length > 0) metadata.ownerReferences = refs;
        else delete metadata.ownerReferences;
        await this.registry.update(PODS, namespace, name, { ...current, metadata });
        return true;
      });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private record(owner: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    return this.events.record(refTo({ ...owner, apiVersion: apiVersionOf(this.kind.info), kind: this.kind.info.kind }), type, reason, message, { source: this.source });
  }
}
