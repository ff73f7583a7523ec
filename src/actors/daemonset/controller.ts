/**
 * The DaemonSet controller (Kubernetes' daemon_controller.go): one pod per node that should run
 * the daemon, replaced on template changes by the update strategy.
 *
 * Informer handlers only enqueue DaemonSet keys (and note expectations): a node appearing,
 * leaving, or changing labels or taints enqueues every DaemonSet; a pod enqueues its owner.
 * `sync(key)` reads the caches, plans (plan.ts), does one kind of work per round (deletions, else
 * creations, else the rolling update's deletions: one expectation record covers the round, and
 * the rolling update waits until every node has its pod, as in Kubernetes), writes status,
 * and tells the DaemonSet's machine what it counted. Failures are retried with backoff by the
 * work queue; nothing runs on a timer except per-key retries, expectation timeouts,
 * minReadySeconds checks and failed-pod back-off.
 */
import { createActor, type Actor } from 'xstate';
import pino, { type Logger } from 'pino';
import { objectKey } from '../../api/metadata.ts';
import { jsonEqual, type KubeObject } from '../../api/object.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ActorHost } from '../host.ts';
import { actorState, objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { Expectations, DEFAULT_EXPECTATIONS_TTL_MS } from '../controller-kit/expectations.ts';
import { controllerRefOf } from '../controller-kit/pods.ts';
import { slowStartBatch } from '../controller-kit/slow-start.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { DaemonSetEffects } from './effects.ts';
import { FailedPodBackoff } from './failed-pod-backoff.ts';
import { DAEMON_SETS, NODES, PODS } from './kinds.ts';
import { daemonSetMachine } from './machine.ts';
import { nodeNameOf } from './nodes-to-pods.ts';
import { minReadySecondsOf, planSync, type PlannedDelete } from './plan.ts';
import { calculateStatus, statusChanged } from './status.ts';
import { REVISION_HASH_LABEL, templateHash } from './template.ts';

/** Most pods created or deleted in one sync (Kubernetes' BurstReplicas). */
export const DEFAULT_BURST_PODS = 250;

export interface DaemonSetControllerOptions extends OwnerControllerOptions {
  now?: () => Date;
  burstPods?: number;
  expectationsTtlMs?: number;
}

type DaemonSetActor = Actor<typeof daemonSetMachine>;

export class DaemonSetController {
  private readonly daemonSets: ObjectInformer;
  private readonly pods: ObjectInformer;
  private readonly nodes: ObjectInformer;
  /** Daemon pods by the key of the DaemonSet their controller reference names. */
  private readonly podsByOwner = new Map<string, Map<string, KubeObject>>();
  private readonly host: ActorHost<KubeObject, DaemonSetActor>;
  readonly expectations: Expectations;
  private readonly queue: WorkQueue;
  private readonly effects: DaemonSetEffects;
  private readonly backoff = new FailedPodBackoff();
  /** The template hash whose ControllerRevision was last made current, by DaemonSet uid. */
  private readonly revisionSynced = new Map<string, string>();
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly opts: DaemonSetControllerOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.expectations = new Expectations(() => this.now().getTime(), opts.expectationsTtlMs ?? DEFAULT_EXPECTATIONS_TTL_MS);
    this.effects = new DaemonSetEffects(opts.registry, opts.events);
    this.queue = new WorkQueue((key) => this.sync(key), {
      workers: opts.workers,
      onError: (key, err) => this.log.warn({ err, key }, 'DaemonSet sync failed; retrying'),
    });
    this.daemonSets = objectInformer(opts.store, DAEMON_SETS, {
      onAdd: (_d, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (ds, key) => {
        this.expectations.forget(key);
        this.backoff.forget(ds.metadata?.uid ?? '');
        this.revisionSynced.delete(ds.metadata?.uid ?? '');
        this.queue.add(key);
      },
    });
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod, key) => this.podAdded(pod, key),
      onUpdate: (old, pod, key) => this.podUpdated(old, pod, key),
      onDelete: (pod, key) => this.podDeleted(pod, key),
    });
    this.nodes = objectInformer(opts.store, NODES, {
      onAdd: () => this.enqueueAll(),
      onUpdate: (old, node) => {
        // Heartbeats and status writes do not change where daemons run.
        if (!jsonEqual(old.metadata?.labels ?? {}, node.metadata?.labels ?? {}) || !jsonEqual(old.spec ?? {}, node.spec ?? {})) this.enqueueAll();
      },
      onDelete: () => this.enqueueAll(),
    });
    this.host = objectActors<DaemonSetActor>(DAEMON_SETS, this.daemonSets, opts.bus, (_ds, inspect) =>
      createActor(daemonSetMachine, { input: { desired: 0, updated: 0, available: 0, misscheduled: 0 }, inspect }).start(),
    );
  }

  start(): Promise<void> {
    return startInOrder([this.nodes, this.pods, this.daemonSets], this.queue);
  }

  stop(): void {
    stopAll(this.queue, [this.daemonSets, this.pods, this.nodes], this.host);
  }

  /** The DaemonSet's machine state (`progressing`, `updating`, `ready`, `terminating`), for tests and the UI. */
  stateOf(namespace: string, name: string): string | undefined {
    return actorState(this.host, DAEMON_SETS, namespace, name);
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  // ---- sync ----

  private async sync(key: string): Promise<void> {
    const ds = this.daemonSets.get(key);
    if (!ds) {
      this.expectations.forget(key);
      return;
    }
    if (ds.metadata?.deletionTimestamp) {
      // The garbage collector removes the pods; nothing more to manage or report.
      this.host.get(key)?.send({ type: 'owner.deleting' });
      return;
    }
    const hash = templateHash(ds);
    const pods = this.ownedPods(key, ds);
    const nodes = this.nodes.list();
    const now = this.now().getTime();
    let failure: unknown;
    if (this.expectations.satisfied(key)) {
      try {
        await this.syncRevisions(ds, hash, pods);
        await this.manage(key, ds, hash, nodes, pods, now);
      } catch (err) {
        failure = err;
      }
    }
    const status = calculateStatus(ds, hash, nodes, pods, now);
    if (statusChanged(ds, status)) await this.effects.writeStatus(ds, status);
    this.host.get(key)?.send({
      type: 'daemonset.observed',
      desired: status.desiredNumberScheduled,
      updated: status.updatedNumberScheduled,
      available: status.numberAvailable,
      misscheduled: status.numberMisscheduled,
    });
    // Pods ready but not yet available: look again when minReadySeconds has passed.
    const minReadySeconds = minReadySecondsOf(ds);
    if (minReadySeconds > 0 && status.numberReady > status.numberAvailable) this.queue.addAfter(key, minReadySeconds * 1000);
    if (failure !== undefined) throw failure;
  }

  private async syncRevisions(ds: KubeObject, hash: string, pods: readonly KubeObject[]): Promise<void> {
    const uid = ds.metadata?.uid ?? '';
    if (this.revisionSynced.get(uid) === hash) return;
    const live = new Set(pods.map((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] ?? ''));
    await this.effects.syncRevisions(ds, hash, live);
    this.revisionSynced.set(uid, hash);
  }

  /** Carries out this round's plan: its deletions, else its creations, else the rolling update's deletions. */
  private async manage(key: string, ds: KubeObject, hash: string, nodes: readonly KubeObject[], pods: readonly KubeObject[], now: number): Promise<void> {
    const burst = this.opts.burstPods ?? DEFAULT_BURST_PODS;
    const plan = planSync({ ds, hash, nodes, pods, now });
    const deletions = plan.delete.filter((d) => this.mayDelete(key, ds, d, now)).slice(0, burst);
    if (deletions.length > 0) return this.deleteAll(key, ds, deletions);
    if (plan.create.length > 0) return this.createAll(key, ds, hash, plan.create.slice(0, burst));
    if (plan.update.length > 0) return this.deleteAll(key, ds, plan.update.slice(0, burst));
  }

  private async deleteAll(key: string, ds: KubeObject, deletions: PlannedDelete[]): Promise<void> {
    this.expectations.expectDeletions(key, deletions.map((d) => d.pod.metadata?.uid ?? ''));
    this.queue.addAfter(key, this.expectations.ttlMs);
    const results = await Promise.allSettled(deletions.map((d) => this.deleteOne(key, ds, d)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async createAll(key: string, ds: KubeObject, hash: string, nodeNames: string[]): Promise<void> {
    this.expectations.expectCreations(key, nodeNames.length);
    this.queue.addAfter(key, this.expectations.ttlMs);
    let next = 0;
    const { succeeded, error } = await slowStartBatch(nodeNames.length, 1, () => this.effects.createPod(ds, nodeNames[next++], hash));
    // Creates that failed or were never made will not be observed.
    for (let i = succeeded; i < nodeNames.length; i++) this.expectations.creationObserved(key);
    if (error !== undefined) throw error;
  }

  /** A failed pod is replaced only when its node's back-off allows; otherwise look again then. */
  private mayDelete(key: string, ds: KubeObject, d: PlannedDelete, now: number): boolean {
    if (d.reason !== 'Failed') return true;
    const wait = this.backoff.take(ds.metadata?.uid ?? '', nodeNameOf(d.pod), now);
    if (wait > 0) this.queue.addAfter(key, wait);
    return wait === 0;
  }

  private async deleteOne(key: string, ds: KubeObject, d: PlannedDelete): Promise<void> {
    const uid = d.pod.metadata?.uid ?? '';
    try {
      const deleted = await this.effects.deletePod(ds, d);
      // Already gone, and its deletion already seen by the informer: nothing more will come.
      if (!deleted && !this.podsByOwner.get(key)?.has(objectKey(PODS, d.pod.metadata?.namespace, d.pod.metadata?.name ?? ''))) {
        this.expectations.deletionObserved(key, uid);
      }
    } catch (err) {
      this.expectations.deletionObserved(key, uid);
      throw err;
    }
  }

  private ownedPods(key: string, ds: KubeObject): KubeObject[] {
    const uid = ds.metadata?.uid;
    return [...(this.podsByOwner.get(key)?.values() ?? [])].filter((p) => controllerRefOf(p)?.uid === uid);
  }

  // ---- informer events: note expectations, enqueue owners ----

  private enqueueAll(): void {
    for (const [key] of this.daemonSets.entries()) this.queue.add(key);
  }

  private podAdded(pod: KubeObject, key: string): void {
    const owner = this.index(pod, key);
    if (!owner) return;
    if (pod.metadata?.deletionTimestamp) this.expectations.deletionObserved(owner, pod.metadata?.uid ?? '');
    else this.expectations.creationObserved(owner);
    this.queue.add(owner);
  }

  private podUpdated(old: KubeObject, pod: KubeObject, key: string): void {
    const oldOwner = ownerKeyOf(old);
    if (oldOwner && oldOwner !== ownerKeyOf(pod)) {
      this.podsByOwner.get(oldOwner)?.delete(key);
      this.queue.add(oldOwner);
    }
    const owner = this.index(pod, key);
    if (!owner) return;
    // Marked for graceful deletion: as good as gone for counting (Kubernetes does the same).
    if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) this.expectations.deletionObserved(owner, pod.metadata?.uid ?? '');
    this.queue.add(owner);
  }

  private podDeleted(pod: KubeObject, key: string): void {
    const owner = ownerKeyOf(pod);
    if (!owner) return;
    this.podsByOwner.get(owner)?.delete(key);
    this.expectations.deletionObserved(owner, pod.metadata?.uid ?? '');
    this.queue.add(owner);
  }

  /** Files a daemon pod under its owner's key; returns that key (undefined: not a daemon pod). */
  private index(pod: KubeObject, key: string): string | undefined {
    const owner = ownerKeyOf(pod);
    if (!owner) return undefined;
    let pods = this.podsByOwner.get(owner);
    if (!pods) this.podsByOwner.set(owner, (pods = new Map()));
    pods.set(key, pod);
    return owner;
  }
}

/** The key of the DaemonSet named by the pod's controller reference, when it names one. */
function ownerKeyOf(pod: KubeObject): string | undefined {
  const ref = controllerRefOf(pod);
  if (!ref || ref.kind !== 'DaemonSet' || ref.apiVersion !== 'apps/v1' || typeof ref.name !== 'string') return undefined;
  return objectKey(DAEMON_SETS, pod.metadata?.namespace, ref.name);
}

/** The DaemonSet controller (apps/v1), for the leader's CONTROLLERS list. */
export const daemonSetControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new DaemonSetController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, now: deps.now });
