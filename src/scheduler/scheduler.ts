/**
 * The scheduler (first cut of kube-scheduler): informers on Nodes and Pods feed a cache and a
 * queue of pending pods; one loop pops a pod, runs the framework (filters, then scores), binds it
 * through the `pods/binding` subresource of the Registry, and records `Scheduled` — or, when no
 * node fits, records `FailedScheduling`, sets `PodScheduled=False` (reason Unschedulable) and
 * parks the pod until nodes or pods change.
 *
 * Pending = no spec.nodeName, not being deleted, not finished, and `spec.schedulerName` is this
 * scheduler's (default `default-scheduler`). Pod updates that touch only status do not requeue
 * (as kube-scheduler), so writing PodScheduled does not loop.
 */
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { rfc3339Seconds } from '../api/metadata.ts';
import { isRecord, jsonEqual, recordList, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import type { Registry } from '../registry/registry.ts';
import { objectInformer, type ObjectInformer } from '../registry/informers.ts';
import type { EventSink } from '../registry/event-recorder.ts';
import { isNotFound, retryOnConflict } from '../registry/retry-on-conflict.ts';
import type { Store } from '../store/types.ts';
import { boundNode, SchedulerCache } from './cache.ts';
import { DEFAULT_FRAMEWORK, fitErrorMessage, schedulePod, type Framework, type ScheduleResult } from './framework.ts';
import { isEmptyPlan, planForNode, podClaims, type VolumePlan } from './plugins/volume-binding.ts';
import type { PodInfo } from './types.ts';
import { VolumeBinder, VolumeBindingError } from './volume-binder.ts';
import { podClaimNames } from '../api/storage/helpers.ts';
import { errorMessage } from '../api/error-message.ts';
import { SchedulingQueue, type SchedulingQueueOptions } from './queue.ts';
import { podRequests } from './resources.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerOptions {
  store: Store;
  registry: Registry;
  events: EventSink;
  schedulerName?: string;
  framework?: Framework;
  queue?: SchedulingQueueOptions;
  /** How long PreBind waits for a pod's claims to be bound (kube-scheduler's bindTimeoutSeconds: 600). */
  volumeBindTimeoutMs?: number;
  now?: () => Date;
  logger?: Logger;
}

function isPendingFor(pod: KubeObject, schedulerName: string): boolean {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  return (
    boundNode(pod) === undefined &&
    !pod.metadata?.deletionTimestamp &&
    phase !== 'Succeeded' &&
    phase !== 'Failed' &&
    (spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === schedulerName
  );
}

/** Whether anything but status (and the resourceVersion) changed. */
function specOrMetaChanged(oldPod: KubeObject, newPod: KubeObject): boolean {
  const strip = (p: KubeObject): unknown => ({ ...p, status: undefined, metadata: { ...p.metadata, resourceVersion: undefined, managedFields: undefined } });
  return !jsonEqual(strip(oldPod), strip(newPod));
}

export class Scheduler {
  private readonly cache = new SchedulerCache();
  private readonly queue: SchedulingQueue;
  private readonly volumes: VolumeBinder;
  /** Pods whose claims PreBind is binding (not scheduled again meanwhile). */
  private readonly bindingVolumes = new Set<string>();
  private stopped = false;
  private readonly nodes: ObjectInformer;
  private readonly pods: ObjectInformer;
  private readonly schedulerName: string;
  private readonly now: () => Date;
  private readonly log: Logger;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    this.schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.queue = new SchedulingQueue(opts.queue);
    this.volumes = new VolumeBinder({ store: opts.store, registry: opts.registry, bindTimeoutMs: opts.volumeBindTimeoutMs, onChange: () => this.queue.moveAllToActiveOrBackoff() });
    this.nodes = objectInformer(opts.store, NODES, {
      onAdd: (node) => this.onNodeChanged(node),
      onUpdate: (_old, node) => this.onNodeChanged(node),
      onDelete: (node) => this.cache.removeNode(node),
    });
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod, key) => this.onPod(key, pod, true),
      onUpdate: (old, pod, key) => this.onPod(key, pod, specOrMetaChanged(old, pod)),
      onDelete: (pod, key) => {
        this.cache.removePod(pod);
        this.queue.delete(key);
        if (boundNode(pod)) this.queue.moveAllToActiveOrBackoff();
      },
    });
  }

  /** Fills the cache, then starts the scheduling loop. */
  async start(): Promise<void> {
    await this.volumes.start();
    await this.nodes.start();
    await this.pods.start();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.close();
    this.volumes.stop();
    this.nodes.stop();
    this.pods.stop();
    await this.loop;
  }

  private onNodeChanged(node: KubeObject): void {
    this.cache.setNode(node);
    this.queue.moveAllToActiveOrBackoff();
  }

  private onPod(key: string, pod: KubeObject, changed: boolean): void {
    const wasPlaced = boundNode(pod) !== undefined;
    this.cache.setPod(pod);
    if (!isPendingFor(pod, this.schedulerName)) {
      this.queue.delete(key);
      // A bound pod that finished frees its room.
      const phase = isRecord(pod.status) ? pod.status.phase : undefined;
      if (wasPlaced && (phase === 'Succeeded' || phase === 'Failed')) this.queue.moveAllToActiveOrBackoff();
      return;
    }
    if (changed) this.queue.add(key);
  }

  private async run(): Promise<void> {
    for (let key = await this.queue.pop(); key !== undefined; key = await this.queue.pop()) {
      try {
        await this.scheduleOne(key);
      } catch (err) {
        this.log.error({ err, pod: key }, 'scheduling attempt failed');
        this.queue.retryLater(key);
      }
    }
  }

  private async scheduleOne(key: string): Promise<void> {
    // Its volumes are being bound: that ends in the pod's binding, or in a retry.
    if (this.bindingVolumes.has(key)) return;
    const pod = this.pods.get(key);
    if (!pod || !isPendingFor(pod, this.schedulerName)) return this.queue.delete(key);
    const podInfo: PodInfo = { pod, requests: podRequests(pod), nonZeroRequests: podRequests(pod, true) };
    const nodes = this.cache.nodeInfos();
    let result: ScheduleResult;
    const claims = podClaimNames(pod).length > 0 ? podClaims(pod, this.volumes) : undefined;
    if (claims && 'unschedulable' in claims) {
      // VolumeBinding's PreFilter: no node can take the pod.
      result = { unschedulable: nodes.length === 0 ? fitErrorMessage(0, new Map()) : `0/${nodes.length} nodes are available: ${claims.unschedulable}.` };
    } else {
      if (claims) podInfo.volumes = { claims: claims.claims, lookup: this.volumes };
      result = schedulePod(podInfo, nodes, this.opts.framework ?? DEFAULT_FRAMEWORK);
    }
    if ('unschedulable' in result) {
      this.queue.markUnschedulable(key);
      await this.recordFailure(pod, result.unschedulable);
      await this.markUnschedulable(pod, result.unschedulable);
      return;
    }
    this.cache.assume(pod, result.nodeName);
    const node = nodes.find((n) => n.name === result.nodeName)?.node;
    const plan = podInfo.volumes && node ? planForNode(podInfo.volumes.claims, node, this.volumes) : undefined;
    if (node && plan && 'plan' in plan && !isEmptyPlan(plan.plan)) {
      // PreBind: the claims are bound first (off the scheduling loop), then the pod.
      this.volumes.assume(plan.plan);
      this.bindingVolumes.add(key);
      void this.bindVolumesThenPod(key, pod, node, plan.plan);
      return;
    }
    await this.bindPod(key, pod, result.nodeName);
  }

  /** The plan's volume writes, the wait until the claims are bound, then the pod's binding; a failure retries the pod. */
  private async bindVolumesThenPod(key: string, pod: KubeObject, node: KubeObject, plan: VolumePlan): Promise<void> {
    const nodeName = node.metadata?.name ?? '';
    try {
      await this.volumes.bind(plan, node);
      this.bindingVolumes.delete(key);
      await this.bindPod(key, pod, nodeName);
    } catch (err) {
      this.bindingVolumes.delete(key);
      this.cache.removePod(pod);
      // Leadership went: the next leader schedules the pod.
      if (this.stopped) return;
      const message = err instanceof VolumeBindingError ? err.message : errorMessage(err);
      this.log.warn({ err, pod: key, node: nodeName }, 'binding the pod\'s volumes failed');
      await this.recordFailure(pod, `running PreBind plugin "VolumeBinding": ${message}`);
      this.queue.retryLater(key);
    } finally {
      this.volumes.forget(plan);
    }
  }

  private recordFailure(pod: KubeObject, message: string): Promise<void> {
    const ref = { kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid };
    return this.opts.events.record(ref, 'Warning', 'FailedScheduling', message, { source: { component: this.schedulerName } });
  }

  /** Binds the pod to the node (`pods/binding`) and records Scheduled. */
  private async bindPod(key: string, pod: KubeObject, nodeName: string): Promise<void> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const ref = { kind: 'Pod', apiVersion: 'v1', namespace, name, uid: pod.metadata?.uid };
    const source = { component: this.schedulerName };
    try {
      await this.opts.registry.bindPod(namespace, name, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace, uid: pod.metadata?.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      });
    } catch (err) {
      this.cache.removePod(pod);
      // Bound elsewhere, being deleted, or gone: nothing left to schedule.
      if (isNotFound(err) || (err instanceof ApiError && err.reason === 'Conflict')) return this.queue.delete(key);
      throw err;
    }
    this.queue.done(key);
    await this.opts.events.record(ref, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`, { source });
  }

  /** PodScheduled=False, reason Unschedulable, with the fit error (written only when it changes). */
  private async markUnschedulable(pod: KubeObject, message: string): Promise<void> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    try {
      await retryOnConflict(async () => {
        const current = await this.opts.registry.get(PODS, namespace, name);
        if (current.metadata?.uid !== pod.metadata?.uid || boundNode(current)) return;
        const status = isRecord(current.status) ? current.status : {};
        const conditions = recordList(status, 'conditions');
        const old = conditions.find((c) => c.type === 'PodScheduled');
        if (old?.status === 'False' && old.reason === 'Unschedulable' && old.message === message) return;
        const condition = {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message,
          lastProbeTime: null,
          lastTransitionTime: old?.status === 'False' && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : rfc3339Seconds(this.now()),
        };
        const next = [...conditions.filter((c) => c.type !== 'PodScheduled'), condition];
        await this.opts.registry.updateStatus(PODS, namespace, name, { ...current, status: { ...status, conditions: next } });
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
