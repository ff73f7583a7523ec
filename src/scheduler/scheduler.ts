/**
 * The scheduler (after kube-scheduler): informers on Nodes and Pods feed an incremental cache
 * (cache.ts) and a priority queue of pending pods (queue.ts); one loop pops a pod, runs the
 * framework (filters, then scores) over the nodes — from where the last decision stopped, until
 * enough fit (framework.ts) — assumes the pod on the chosen node and goes on to the next pod
 * while the binding cycle binds it through the `pods/binding` subresource of the Registry and
 * records `Scheduled` (at most `maxBindingsInFlight` at once). When no node fits it records
 * `FailedScheduling`, sets `PodScheduled=False` (reason Unschedulable) and parks the pod until a
 * cluster event that may help it (cluster-events.ts).
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
import { DEFAULT_FRAMEWORK, feasibleNodesToFind, fitErrorMessage, schedulePod, type Framework, type ScheduleResult } from './framework.ts';
import { isEmptyPlan, planForNode, podClaims, type VolumePlan } from './plugins/volume-binding.ts';
import { preempt, type Candidate } from './plugins/default-preemption.ts';
import { VolumeBinder, VolumeBindingError } from './volume-binder.ts';
import { podClaimNames } from '../api/storage/helpers.ts';
import { errorMessage } from '../api/error-message.ts';
import { SchedulingQueue, type SchedulingQueueOptions } from './queue.ts';
import { podInfoOf, priorityOf } from './pod-info.ts';
import type { PodInfo } from './types.ts';
import { nodeSchedulingChanged } from './cluster-events.ts';

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const NAMESPACES = findKind('v1', 'Namespace') as ResourceInfo;

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
const NONE_NOMINATED: readonly PodInfo[] = [];

export interface SchedulerOptions {
  store: Store;
  registry: Registry;
  events: EventSink;
  schedulerName?: string;
  framework?: Framework;
  queue?: SchedulingQueueOptions;
  /** Bindings running at once while the loop schedules the next pods (default 64). */
  maxBindingsInFlight?: number;
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

/** How much work the scheduler did (the scale guard test and the bench read it). */
export interface SchedulerStats {
  /** Scheduling attempts that ran the framework. */
  decisions: number;
  /** Nodes the filters ran on, over all decisions. */
  nodesEvaluated: number;
  /** Pods bound. */
  bound: number;
  /** Preemptions carried out (victims evicted for a pod). */
  preemptions: number;
}

export class Scheduler {
  private readonly cache = new SchedulerCache();
  readonly stats: SchedulerStats = { decisions: 0, nodesEvaluated: 0, bound: 0, preemptions: 0 };
  /** Pods assumed on a node whose binding is running (not scheduled again meanwhile). */
  private readonly binding = new Set<string>();
  private bindingSlotFreed: (() => void) | undefined;
  /** Where the next decision starts looking among the nodes (kube-scheduler's nextStartNodeIndex). */
  private nextStartNodeIndex = 0;
  private readonly queue: SchedulingQueue;
  private readonly volumes: VolumeBinder;
  /** Pods whose claims PreBind is binding (not scheduled again meanwhile). */
  private readonly bindingVolumes = new Set<string>();
  private stopped = false;
  /** Pending pods nominated to a node (status.nominatedNodeName) by preemption: node → pod key → the pod. */
  private readonly nominated = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNodeOf = new Map<string, string>();
  private readonly nodes: ObjectInformer;
  private readonly pods: ObjectInformer;
  /** Namespaces' labels (pod affinity terms' namespaceSelector). */
  private readonly namespaces: ObjectInformer;
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
      onAdd: (node) => this.onNodeChanged(undefined, node),
      onUpdate: (old, node) => this.onNodeChanged(old, node),
      onDelete: (node) => this.cache.removeNode(node),
    });
    this.namespaces = objectInformer(opts.store, NAMESPACES, {
      onAdd: (ns) => this.cache.setNamespace(ns),
      onUpdate: (_old, ns) => this.cache.setNamespace(ns),
      onDelete: (ns) => this.cache.removeNamespace(ns),
    });
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod, key) => this.onPod(key, pod, true),
      onUpdate: (old, pod, key) => this.onPod(key, pod, specOrMetaChanged(old, pod)),
      onDelete: (pod, key) => {
        this.cache.removePod(pod);
        this.nominate(key, undefined);
        this.queue.delete(key);
        if (boundNode(pod)) this.queue.moveAllToActiveOrBackoff();
      },
    });
  }

  /** Fills the cache, then starts the scheduling loop. */
  async start(): Promise<void> {
    await this.volumes.start();
    await this.namespaces.start();
    await this.nodes.start();
    await this.pods.start();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.close();
    this.bindingSlotFreed?.();
    this.volumes.stop();
    this.nodes.stop();
    this.namespaces.stop();
    this.pods.stop();
    await this.loop;
  }

  /** Pods in each of the queue's three queues (tests, metrics). */
  get queueSizes(): { active: number; backoff: number; unschedulable: number } {
    return this.queue.sizes;
  }

  private onNodeChanged(old: KubeObject | undefined, node: KubeObject): void {
    this.cache.setNode(node);
    if (!old || nodeSchedulingChanged(old, node)) this.queue.moveAllToActiveOrBackoff();
  }

  /** Tracks the pod's status.nominatedNodeName while it is pending (undefined pod: gone). */
  private nominate(key: string, pod: KubeObject | undefined): void {
    const status = pod && isRecord(pod.status) ? pod.status : undefined;
    const nodeName = pod && isPendingFor(pod, this.schedulerName) && typeof status?.nominatedNodeName === 'string' && status.nominatedNodeName !== '' ? status.nominatedNodeName : undefined;
    const old = this.nominatedNodeOf.get(key);
    if (old && old !== nodeName) {
      this.nominated.get(old)?.delete(key);
      if (this.nominated.get(old)?.size === 0) this.nominated.delete(old);
      this.nominatedNodeOf.delete(key);
    }
    if (!nodeName || !pod) return;
    let pods = this.nominated.get(nodeName);
    if (!pods) this.nominated.set(nodeName, (pods = new Map()));
    pods.set(key, podInfoOf(pod));
    this.nominatedNodeOf.set(key, nodeName);
  }

  private onPod(key: string, pod: KubeObject, changed: boolean): void {
    const wasPlaced = boundNode(pod) !== undefined;
    this.cache.setPod(pod);
    this.nominate(key, pod);
    if (!isPendingFor(pod, this.schedulerName)) {
      this.queue.delete(key);
      // A bound pod that finished frees its room.
      const phase = isRecord(pod.status) ? pod.status.phase : undefined;
      if (wasPlaced && (phase === 'Succeeded' || phase === 'Failed')) this.queue.moveAllToActiveOrBackoff();
      return;
    }
    if (changed) this.queue.add(key, priorityOf(pod));
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
    // Its volumes or the pod itself are being bound: that ends in the pod's binding, or in a retry.
    if (this.bindingVolumes.has(key) || this.binding.has(key)) return;
    const pod = this.pods.get(key);
    if (!pod || !isPendingFor(pod, this.schedulerName)) return this.queue.delete(key);
    const podInfo = podInfoOf(pod);
    const nodes = this.cache.nodeInfos();
    let result: ScheduleResult;
    const claims = podClaimNames(pod).length > 0 ? podClaims(pod, this.volumes) : undefined;
    if (claims && 'unschedulable' in claims) {
      // VolumeBinding's PreFilter: no node can take the pod.
      result = { unschedulable: nodes.length === 0 ? fitErrorMessage(0, new Map()) : `0/${nodes.length} nodes are available: ${claims.unschedulable}.`, evaluated: 0, failures: new Map() };
    } else {
      if (claims) podInfo.volumes = { claims: claims.claims, lookup: this.volumes };
      result = schedulePod(podInfo, nodes, this.opts.framework ?? DEFAULT_FRAMEWORK, { start: this.nextStartNodeIndex, feasibleToFind: feasibleNodesToFind(nodes.length),
        cluster: this.cache,
        nominatedPods: (nodeName) => {
          const pods = this.nominated.get(nodeName);
          return pods ? [...pods.values()] : NONE_NOMINATED;
        },
      });
      this.stats.decisions++;
      this.stats.nodesEvaluated += result.evaluated;
      if (nodes.length > 0) this.nextStartNodeIndex = (this.nextStartNodeIndex + result.evaluated) % nodes.length;
    }
    if ('unschedulable' in result) {
      // PostFilter (DefaultPreemption): evict lower-priority pods somewhere, or say why not.
      let message = result.unschedulable;
      let nominatedNode: string | undefined;
      if (nodes.length > 0 && result.failures.size > 0) {
        const preemption = preempt(podInfo, nodes, result.failures, this.opts.framework ?? DEFAULT_FRAMEWORK);
        if ('candidate' in preemption) nominatedNode = preemption.candidate.nodeName;
        else message = `${message} ${preemption.message}.`;
        if ('candidate' in preemption) await this.preemptVictims(pod, preemption.candidate);
      }
      this.queue.markUnschedulable(key);
      await this.recordFailure(pod, message);
      await this.markUnschedulable(pod, message, nominatedNode);
      return;
    }
    this.cache.assume(pod, result.nodeName);
    const node = this.cache.nodeInfo(result.nodeName)?.node;
    const plan = podInfo.volumes && node ? planForNode(podInfo.volumes.claims, node, this.volumes) : undefined;
    if (node && plan && 'plan' in plan && !isEmptyPlan(plan.plan)) {
      // PreBind: the claims are bound first (off the scheduling loop), then the pod.
      this.volumes.assume(plan.plan);
      this.bindingVolumes.add(key);
      void this.bindVolumesThenPod(key, pod, node, plan.plan);
      return;
    }
    await this.startBinding(key, pod, result.nodeName);
  }

  /**
   * The binding cycle, off the scheduling loop (kube-scheduler binds in a goroutine): the loop
   * goes on with the next pod once a slot is free; a failure forgets the assumed pod and retries it.
   */
  private async startBinding(key: string, pod: KubeObject, nodeName: string): Promise<void> {
    const max = this.opts.maxBindingsInFlight ?? 64;
    while (this.binding.size >= max && !this.stopped) await new Promise<void>((resolve) => (this.bindingSlotFreed = resolve));
    this.binding.add(key);
    void this.bindPod(key, pod, nodeName)
      .catch((err: unknown) => {
        this.cache.forget(pod);
        if (this.stopped) return;
        this.log.error({ err, pod: key }, 'binding failed');
        this.queue.retryLater(key);
      })
      .finally(() => {
        this.binding.delete(key);
        const freed = this.bindingSlotFreed;
        this.bindingSlotFreed = undefined;
        freed?.();
      });
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
      this.cache.forget(pod);
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
      this.cache.forget(pod);
      // Bound elsewhere, being deleted, or gone: nothing left to schedule.
      if (isNotFound(err) || (err instanceof ApiError && err.reason === 'Conflict')) return this.queue.delete(key);
      throw err;
    }
    this.stats.bound++;
    this.queue.done(key);
    await this.opts.events.record(ref, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`, { source }).catch((err: unknown) => this.log.warn({ err, pod: key }, 'recording Scheduled failed'));
  }

  /**
   * Preemption's effects (kube-scheduler's prepareCandidate): each victim gets the
   * DisruptionTarget condition (PreemptionByScheduler), is deleted gracefully through the Registry
   * (uid precondition) and gets the Event `Preempted`. A victim already gone is skipped.
   */
  private async preemptVictims(preemptor: KubeObject, candidate: Candidate): Promise<void> {
    this.stats.preemptions++;
    await Promise.all(
      candidate.victims.map(async (victim) => {
        const namespace = victim.metadata?.namespace ?? '';
        const name = victim.metadata?.name ?? '';
        const uid = victim.metadata?.uid;
        try {
          await retryOnConflict(async () => {
            const current = await this.opts.registry.get(PODS, namespace, name);
            if (current.metadata?.uid !== uid) return;
            const status = isRecord(current.status) ? current.status : {};
            const conditions = recordList(status, 'conditions');
            if (conditions.some((c) => c.type === 'DisruptionTarget' && c.status === 'True')) return;
            const condition = { type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${this.schedulerName}: preempting to accommodate a higher priority pod`, lastProbeTime: null, lastTransitionTime: rfc3339Seconds(this.now()) };
            await this.opts.registry.updateStatus(PODS, namespace, name, { ...current, status: { ...status, conditions: [...conditions, condition] } });
          });
          await this.opts.registry.delete(PODS, namespace, name, uid ? { preconditions: { uid } } : {});
        } catch (err) {
          if (isNotFound(err) || (err instanceof ApiError && err.reason === 'Conflict')) return;
          throw err;
        }
        const ref = { kind: 'Pod', apiVersion: 'v1', namespace, name, uid };
        await this.opts.events
          .record(ref, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata?.uid ?? ''} on node ${candidate.nodeName}`, { source: { component: this.schedulerName } })
          .catch((err: unknown) => this.log.warn({ err, pod: `${namespace}/${name}` }, 'recording Preempted failed'));
      }),
    );
  }

  /**
   * PodScheduled=False, reason Unschedulable, with the fit error (written only when it changes),
   * and `status.nominatedNodeName` when preemption chose a node (cleared when it did not).
   */
  private async markUnschedulable(pod: KubeObject, message: string, nominatedNode?: string): Promise<void> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    try {
      await retryOnConflict(async () => {
        const current = await this.opts.registry.get(PODS, namespace, name);
        if (current.metadata?.uid !== pod.metadata?.uid || boundNode(current)) return;
        const status = isRecord(current.status) ? current.status : {};
        const conditions = recordList(status, 'conditions');
        const old = conditions.find((c) => c.type === 'PodScheduled');
        const nominated = typeof status.nominatedNodeName === 'string' && status.nominatedNodeName !== '' ? status.nominatedNodeName : undefined;
        if (old?.status === 'False' && old.reason === 'Unschedulable' && old.message === message && nominated === nominatedNode) return;
        const condition = {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message,
          lastProbeTime: null,
          lastTransitionTime: old?.status === 'False' && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : rfc3339Seconds(this.now()),
        };
        const next = [...conditions.filter((c) => c.type !== 'PodScheduled'), condition];
        const { nominatedNodeName: _old, ...rest } = status;
        await this.opts.registry.updateStatus(PODS, namespace, name, { ...current, status: { ...rest, conditions: next, ...(nominatedNode ? { nominatedNodeName: nominatedNode } : {}) } });
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
