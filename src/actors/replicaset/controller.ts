/**
 * The ReplicaSet and ReplicationController controller (Kubernetes' replica_set.go; one class,
 * two kinds): keeps `spec.replicas` active pods matching the selector.
 *
 * Informer handlers only enqueue the owner's key (a key waiting in the work queue is queued once,
 * so a burst of pod events costs one sync), note expectations and keep the pod tallies
 * (pod-tally.ts: pods by controller, with the counts the status is made of). `sync(key)` reads
 * the owner's tally, claims pods (adopts matching orphans, releases owned pods that stopped
 * matching) and tells the owner's machine what it saw (machine.ts); none of it walks the pods,
 * so a sync costs the same at 10 pods as at 10,000. The machine decides: create, delete, wait
 * for the watch, or nothing; its effects are the actors and actions provided here (pod control,
 * expectations, status write, a sync request). `sync` waits for the machine's round to close;
 * a failed round is retried with backoff by the work queue. Nothing runs on a timer except
 * per-key retries and the machines' own timers (expectations timeout, minReadySeconds).
 */
import { createActor, fromPromise, type Actor, type ActorOptions } from 'xstate';
import pino, { type Logger } from 'pino';
import { apiVersionOf } from '../../api/kinds.ts';
import { objectKey, prefixFor } from '../../api/metadata.ts';
import { jsonEqual, type KubeObject } from '../../api/object.ts';
import type { LabelSelector } from '../../api/selectors.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ActorHost } from '../host.ts';
import { actorState, objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { ReplicaEffects, PODS } from './effects.ts';
import { Expectations, DEFAULT_EXPECTATIONS_TTL_MS } from '../controller-kit/expectations.ts';
import { replicaMachine, type CreatePodsInput, type CreatePodsOutput, type DeletePodsInput, type DeletePodsOutput, type WriteStatusInput } from './machine.ts';
import { controllerRefOf, isReady } from '../controller-kit/pods.ts';
import { REPLICA_SET, REPLICATION_CONTROLLER, replicaSpec, type ReplicaKind } from './replica-kind.ts';
import { countPods, statusChanged, type ObservedPods } from './status.ts';
import { ownerShape, PodTallies, type TallyStats } from './pod-tally.ts';
import { slowStartBatch } from '../controller-kit/slow-start.ts';
import type { PodControl } from '../controller-kit/pod-control.ts';
import { Rounds } from '../controller-kit/rounds.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { errorMessage } from '../../api/error-message.ts';

/** Most pods created or deleted in one sync (Kubernetes' BurstReplicas). */
export const DEFAULT_BURST_REPLICAS = 500;

export interface ReplicaControllerOptions extends OwnerControllerOptions {
  kind: ReplicaKind;
  now?: () => Date;
  burstReplicas?: number;
  expectationsTtlMs?: number;
  /** How pods are created and deleted (default: through the Registry; tests: FakePodControl). */
  podControl?: PodControl;
  /** The machines' timers (expectations timeout, minReadySeconds); tests pass xstate's SimulatedClock. Default: the system's. */
  clock?: NonNullable<ActorOptions<typeof replicaMachine>['clock']>;
}

type ReplicaActor = Actor<typeof replicaMachine>;

export class ReplicaController {
  private readonly owners: ObjectInformer;
  private readonly pods: ObjectInformer;
  /** Pods by controller uid with their counts, and orphans by namespace. */
  private readonly tallies: PodTallies;
  private readonly host: ActorHost<KubeObject, ReplicaActor>;
  readonly expectations: Expectations;
  private readonly queue: WorkQueue;
  private readonly effects: ReplicaEffects;
  private readonly kind: ReplicaKind;
  private readonly now: () => Date;
  private readonly log: Logger;
  private readonly rounds = new Rounds();

  constructor(private readonly opts: ReplicaControllerOptions) {
    this.kind = opts.kind;
    this.tallies = new PodTallies((ref) => ref.kind === this.kind.info.kind && ref.apiVersion === apiVersionOf(this.kind.info));
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.expectations = new Expectations(() => this.now().getTime(), opts.expectationsTtlMs ?? DEFAULT_EXPECTATIONS_TTL_MS);
    this.effects = new ReplicaEffects(opts.kind, opts.registry, opts.events, opts.podControl);
    this.queue = new WorkQueue((key) => this.sync(key), {
      workers: opts.workers,
      onError: (key, err) => this.log.warn({ err, key }, `${this.kind.info.kind} sync failed; retrying`),
    });
    this.owners = objectInformer(opts.store, this.kind.info);
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod, key) => this.podAdded(pod, key),
      onUpdate: (old, pod, key) => this.podUpdated(old, pod, key),
      onDelete: (pod, key) => this.podDeleted(pod, key),
    });
    const machine = this.provideEffects();
    const burstReplicas = opts.burstReplicas ?? DEFAULT_BURST_REPLICAS;
    const expectationsTimeoutMs = this.expectations.ttlMs;
    this.host = objectActors<ReplicaActor>(this.kind.info, this.owners, opts.bus, (owner, inspect) => {
      const key = objectKey(this.kind.info, owner.metadata?.namespace, owner.metadata?.name ?? '');
      // An explicit `clock: undefined` would replace xstate's default clock.
      return createActor(machine, { input: { key, owner, burstReplicas, expectationsTimeoutMs }, inspect, ...(opts.clock ? { clock: opts.clock } : {}) }).start();
    });
    // After the host's: an owner's actor exists before its first sync runs.
    this.owners.addHandlers({
      onAdd: (_o, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (o, key) => {
        this.expectations.forget(key);
        this.tallies.forget(o.metadata?.uid ?? '');
        this.queue.add(key);
      },
    });
  }

  /** The machine with this controller's effects: pod control, expectations, status, resyncs. */
  private provideEffects(): typeof replicaMachine {
    return replicaMachine.provide({
      actions: {
        expectCreations: ({ context }, { count }) => this.expectations.expectCreations(context.key, count),
        expectDeletions: ({ context }, { uids }) => this.expectations.expectDeletions(context.key, uids),
        forgetSkippedCreations: ({ context }, { count }) => {
          for (let i = 0; i < count; i++) this.expectations.creationObserved(context.key);
        },
        forgetSkippedDeletions: ({ context }, { uids }) => {
          for (const uid of uids) this.expectations.deletionObserved(context.key, uid);
        },
        requestSync: ({ context }) => this.queue.add(context.key),
      },
      actors: {
        createPods: fromPromise<CreatePodsOutput, CreatePodsInput>(async ({ input }) => {
          const { succeeded, error } = await slowStartBatch(input.count, 1, () => this.effects.createPod(input.owner));
          return error === undefined ? { created: succeeded } : { created: succeeded, error: errorMessage(error) };
        }),
        deletePods: fromPromise<DeletePodsOutput, DeletePodsInput>(({ input }) => this.deletePods(input.owner, input.pods)),
        writeStatus: fromPromise<void, WriteStatusInput>(async ({ input }) => {
          if (statusChanged(input.owner, input.status)) await this.effects.writeStatus(input.owner, input.status);
        }),
      },
    });
  }

  start(): Promise<void> {
    return startInOrder([this.pods, this.owners], this.queue);
  }

  stop(): void {
    stopAll(this.queue, [this.owners, this.pods], this.host);
  }

  /** The owner's machine state (`steady`, `scaling.creating`, ...), for tests and the UI. */
  stateOf(namespace: string, name: string): string | undefined {
    return actorState(this.host, this.kind.info, namespace, name);
  }

  /** Pods whose facts the tallies worked out so far (the scale guard test reads it). */
  get tallyStats(): Readonly<TallyStats> {
    return this.tallies.stats;
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  /** Queues a sync of the owner (what a periodic resync would do). */
  enqueue(namespace: string, name: string): void {
    this.queue.add(objectKey(this.kind.info, namespace, name));
  }

  // ---- sync ----

  private async sync(key: string): Promise<void> {
    const owner = this.owners.get(key);
    const actor = this.host.get(key);
    if (!owner || !actor) {
      if (!owner) this.expectations.forget(key);
      return;
    }
    const { pods, now } = await this.claimPods(owner, this.kind.selectorOf(owner));
    const observation = { type: 'replicas.observed' as const, owner, pods, expectationsMet: this.expectations.satisfied(key), now };
    try {
      await this.rounds.run(actor, observation);
    } catch (err) {
      // The owner went away during the round (its actor stopped): nothing left to retry.
      if (this.host.get(key) !== actor) return;
      throw err;
    }
  }

  /**
   * Kubernetes' PodControllerRefManager.ClaimPods over the controller index: the pods this owner
   * controls after adopting matching orphans and releasing owned pods its selector no longer
   * matches — counted from its tally, plus the pods adopted now.
   */
  private async claimPods(owner: KubeObject, selector: LabelSelector): Promise<{ pods: ObservedPods; now: number }> {
    const uid = owner.metadata?.uid ?? '';
    const namespace = owner.metadata?.namespace;
    const deleting = Boolean(owner.metadata?.deletionTimestamp);
    const tally = this.tallies.tally(uid);
    // A new shape (or the first sync): every orphan of the namespace may now match.
    if (tally.reshape(ownerShape(owner, selector))) for (const key of this.tallies.orphanKeys(namespace ?? '')) tally.candidates.add(key);
    const adopted: KubeObject[] = [];
    if (!deleting) {
      for (const pod of tally.strayPods()) await this.effects.release(owner, pod);
      let canAdopt: Promise<boolean> | undefined;
      for (const key of [...tally.candidates]) {
        const pod = this.tallies.orphan(namespace ?? '', key);
        if (!pod || !selector.matches(pod.metadata?.labels)) {
          tally.candidates.delete(key);
          continue;
        }
        // Adopt only while the owner, read fresh, is still this one and not being deleted.
        canAdopt ??= this.opts.registry.get(this.kind.info, namespace, owner.metadata?.name ?? '').then(
          (fresh) => fresh.metadata?.uid === uid && !fresh.metadata?.deletionTimestamp,
          () => false,
        );
        if (!(await canAdopt)) break;
        const ok = await this.effects.adopt(owner, pod);
        tally.candidates.delete(key);
        if (ok) adopted.push(pod);
      }
    }
    const now = this.now().getTime();
    // The watch may already have moved an adopted pod into the tally while we waited.
    const extra = adopted.filter((p) => !tally.has(objectKey(PODS, p.metadata?.namespace, p.metadata?.name ?? '')));
    const counts = tally.countsAt(now);
    if (extra.length === 0) return { pods: { ...counts, list: () => tally.matching() }, now };
    const more = countPods(owner, extra, now);
    return {
      pods: {
        replicas: counts.replicas + more.replicas,
        fullyLabeled: counts.fullyLabeled + more.fullyLabeled,
        ready: counts.ready + more.ready,
        available: counts.available + more.available,
        list: () => [...tally.matching(), ...extra],
      },
      now,
    };
  }

  /**
   * Deletes `pods` of `owner` at once (the machine's deletePods effect). Uids the watch will not
   * report are returned: deletes that failed, and pods already gone whose removal the informer
   * has already seen.
   */
  private async deletePods(owner: KubeObject, pods: KubeObject[]): Promise<DeletePodsOutput> {
    const notDeleted: string[] = [];
    let error: string | undefined;
    await Promise.all(
      pods.map(async (pod) => {
        const uid = pod.metadata?.uid ?? '';
        try {
          const deleted = await this.effects.deletePod(owner, pod);
          if (!deleted && !this.pods.get(objectKey(PODS, pod.metadata?.namespace, pod.metadata?.name ?? ''))) notDeleted.push(uid);
        } catch (err) {
          notDeleted.push(uid);
          error ??= errorMessage(err);
        }
      }),
    );
    return error === undefined ? { notDeleted } : { notDeleted, error };
  }

  // ---- pod events: note expectations, enqueue owners ----

  private podAdded(pod: KubeObject, key: string): void {
    this.tallies.set(key, pod);
    if (pod.metadata?.deletionTimestamp) {
      this.podDeleted(pod, key, false);
      return;
    }
    const ownerKey = this.ownerKeyOf(pod);
    if (ownerKey) {
      this.expectations.creationObserved(ownerKey);
      this.queue.add(ownerKey);
      return;
    }
    // Controlled by something else (another kind, or an owner that is gone): not ours to adopt.
    if (!controllerRefOf(pod)) this.nominate(pod, key);
  }

  private podUpdated(old: KubeObject, pod: KubeObject, key: string): void {
    this.tallies.set(key, pod);
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const oldOwner = this.ownerKeyOf(old);
    const ownerKey = this.ownerKeyOf(pod);
    if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      // Marked for graceful deletion: as good as gone for counting (Kubernetes does the same).
      if (ownerKey) this.expectations.deletionObserved(ownerKey, pod.metadata?.uid ?? '');
    }
    if (oldOwner && oldOwner !== ownerKey) this.queue.add(oldOwner);
    if (ownerKey) {
      this.queue.add(ownerKey);
      const minReady = replicaSpec(this.owners.get(ownerKey) ?? {}).minReadySeconds;
      if (minReady > 0 && !isReady(old) && isReady(pod)) this.queue.addAfter(ownerKey, minReady * 1000 + 1);
      return;
    }
    if (controllerRefOf(pod)) return;
    const labelsChanged = !jsonEqual(old.metadata?.labels ?? {}, pod.metadata?.labels ?? {});
    const refChanged = controllerRefOf(old) !== undefined;
    if (labelsChanged || refChanged) this.nominate(pod, key);
  }

  private podDeleted(pod: KubeObject, key: string, unindex = true): void {
    if (unindex) this.tallies.delete(key, pod);
    const ownerKey = this.ownerKeyOf(pod);
    if (!ownerKey) return;
    this.expectations.deletionObserved(ownerKey, pod.metadata?.uid ?? '');
    this.queue.add(ownerKey);
  }

  /** The key of the owner of this kind that controls `pod`, when it controls it. */
  private ownerKeyOf(pod: KubeObject): string | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== this.kind.info.kind || ref.apiVersion !== apiVersionOf(this.kind.info) || typeof ref.name !== 'string') return undefined;
    const key = objectKey(this.kind.info, pod.metadata?.namespace, ref.name);
    return this.owners.get(key)?.metadata?.uid === ref.uid ? key : undefined;
  }

  /** An orphan appeared or changed: the owners in its namespace whose selector matches it try to adopt it. */
  private nominate(pod: KubeObject, key: string): void {
    const prefix = prefixFor(this.kind.info, pod.metadata?.namespace);
    for (const [ownerKey, owner] of this.owners.entries()) {
      if (!ownerKey.startsWith(prefix) || !this.kind.selectorOf(owner).matches(pod.metadata?.labels)) continue;
      this.tallies.nominate(owner.metadata?.uid ?? '', key);
      this.queue.add(ownerKey);
    }
  }
}


function factoryFor(kind: ReplicaKind): ControllerFactory {
  return (deps: ControllerDeps) =>
    new ReplicaController({ kind, store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, now: deps.now });
}

/** The ReplicaSet controller (apps/v1). */
export const replicaSetControllerFactory: ControllerFactory = factoryFor(REPLICA_SET);

/** The ReplicationController controller (v1). */
export const replicationControllerFactory: ControllerFactory = factoryFor(REPLICATION_CONTROLLER);
