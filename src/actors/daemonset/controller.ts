/**
 * The DaemonSet controller (Kubernetes' daemon_controller.go): one pod per node that should run
 * the daemon, replaced on template changes by the update strategy.
 *
 * The controller observes; the DaemonSet's machine (machine.ts) decides. Informer handlers only
 * enqueue DaemonSet keys (and note expectations): a node appearing, leaving, or changing labels
 * or taints enqueues every DaemonSet; a pod enqueues its owner. `sync(key)` reads the caches and
 * sends the DaemonSet's actor `daemonset.observed` (the DaemonSet, the nodes, its pods, the time,
 * whether expectations are met), then waits for the round the machine runs: its guards choose
 * the work (delete, else create, else the rolling update's step) and its invoked effects are
 * the ones provided here, which record expectations before they act. A round whose effect
 * failed is retried by the work queue with backoff; the machine's own timers (minReadySeconds,
 * failed-pod back-off) ask for a sync through `requestSync`.
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import pino, { type Logger } from 'pino';
import { objectKey } from '../../api/metadata.ts';
import { jsonEqual, type KubeObject } from '../../api/object.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ActorHost } from '../host.ts';
import { actorState, objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { Expectations, DEFAULT_EXPECTATIONS_TTL_MS } from '../controller-kit/expectations.ts';
import { roundOver } from '../controller-kit/machine-round.ts';
import { controllerRefOf } from '../controller-kit/pods.ts';
import { slowStartBatch } from '../controller-kit/slow-start.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { systemClock, type ControllerClock } from '../job/clock.ts';
import { DaemonSetEffects } from './effects.ts';
import { DAEMON_SETS, NODES, PODS } from './kinds.ts';
import { BUSY, daemonSetMachine, type CreatePodsInput, type DaemonSetContext, type DeletePodsInput, type SyncRevisionsInput, type WriteStatusInput } from './machine.ts';
import type { PlannedDelete } from './plan.ts';

export { DEFAULT_BURST_PODS } from './machine.ts';

export interface DaemonSetControllerOptions extends OwnerControllerOptions {
  /** Time and the machines' timers (tests: xstate's SimulatedClock). */
  clock?: ControllerClock;
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
  private readonly clock: ControllerClock;
  private readonly log: Logger;

  constructor(private readonly opts: DaemonSetControllerOptions) {
    this.clock = opts.clock ?? systemClock();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.expectations = new Expectations(() => this.clock.now(), opts.expectationsTtlMs ?? DEFAULT_EXPECTATIONS_TTL_MS);
    this.effects = new DaemonSetEffects(opts.registry, opts.events);
    this.queue = new WorkQueue((key) => this.sync(key), {
      workers: opts.workers,
      onError: (key, err) => this.log.warn({ err, key }, 'DaemonSet sync failed; retrying'),
    });
    this.daemonSets = objectInformer(opts.store, DAEMON_SETS);
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
    const machine = this.provideEffects();
    this.host = objectActors<DaemonSetActor>(DAEMON_SETS, this.daemonSets, opts.bus, (ds, inspect) =>
      createActor(machine, { input: { namespace: ds.metadata?.namespace, name: ds.metadata?.name ?? '', burst: opts.burstPods }, inspect, clock: this.clock }).start(),
    );
    // Registered after the actor host's, so a DaemonSet's actor exists when its first sync runs.
    this.daemonSets.addHandlers({
      onAdd: (_d, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (_ds, key) => {
        this.expectations.forget(key);
        this.queue.add(key);
      },
    });
  }

  start(): Promise<void> {
    return startInOrder([this.nodes, this.pods, this.daemonSets], this.queue);
  }

  stop(): void {
    stopAll(this.queue, [this.daemonSets, this.pods, this.nodes], this.host);
  }

  /** The DaemonSet's machine state (`steady`, `rolling`, `syncing.creating`, …), for tests and the UI. */
  stateOf(namespace: string, name: string): string | undefined {
    return actorState(this.host, DAEMON_SETS, namespace, name);
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  // ---- sync: observe, let the machine decide ----

  private async sync(key: string): Promise<void> {
    const ds = this.daemonSets.get(key);
    if (!ds) {
      this.expectations.forget(key);
      return;
    }
    const actor = this.host.get(key);
    if (!actor) return;
    actor.send({
      type: 'daemonset.observed',
      facts: { ds, nodes: this.nodes.list(), pods: this.ownedPods(key, ds), now: this.clock.now(), expectationsMet: this.expectations.satisfied(key) },
    });
    const snapshot = await roundOver(actor, BUSY);
    if (snapshot.context.error !== undefined) throw snapshot.context.error;
  }

  /** The machine with this controller's effects: the Registry writes, with expectations recorded first. */
  private provideEffects() {
    return daemonSetMachine.provide({
      actors: {
        syncRevisions: fromPromise<void, SyncRevisionsInput>(({ input }) => this.effects.syncRevisions(input.ds, input.hash, new Set(input.liveHashes))),
        createPods: fromPromise<void, CreatePodsInput>(({ input }) => this.createAll(input)),
        deletePods: fromPromise<void, DeletePodsInput>(({ input }) => this.deleteAll(input)),
        writeStatus: fromPromise<void, WriteStatusInput>(({ input }) => this.effects.writeStatus(input.ds, input.status)),
      },
      actions: {
        requestSync: ({ context }: { context: DaemonSetContext }) => this.queue.add(objectKey(DAEMON_SETS, context.namespace, context.name)),
      },
    });
  }

  private async deleteAll({ ds, deletions }: DeletePodsInput): Promise<void> {
    const key = keyOf(ds);
    this.expectations.expectDeletions(key, deletions.map((d) => d.pod.metadata?.uid ?? ''));
    this.queue.addAfter(key, this.expectations.ttlMs);
    const results = await Promise.allSettled(deletions.map((d) => this.deleteOne(key, ds, d)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async createAll({ ds, hash, nodes }: CreatePodsInput): Promise<void> {
    const key = keyOf(ds);
    this.expectations.expectCreations(key, nodes.length);
    this.queue.addAfter(key, this.expectations.ttlMs);
    let next = 0;
    const { succeeded, error } = await slowStartBatch(nodes.length, 1, () => this.effects.createPod(ds, nodes[next++], hash));
    // Creates that failed or were never made will not be observed.
    for (let i = succeeded; i < nodes.length; i++) this.expectations.creationObserved(key);
    if (error !== undefined) throw error;
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

function keyOf(ds: KubeObject): string {
  return objectKey(DAEMON_SETS, ds.metadata?.namespace, ds.metadata?.name ?? '');
}

/** The DaemonSet controller (apps/v1), for the leader's CONTROLLERS list. */
export const daemonSetControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new DaemonSetController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, clock: systemClock(deps.now) });
