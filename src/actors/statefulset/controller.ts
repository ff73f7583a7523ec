/**
 * The StatefulSet controller (Kubernetes' stateful_set.go): pods `<set>-<ordinal>` with stable
 * names, hostnames and claims, created and removed in order (OrderedReady) or at once
 * (Parallel), updated by RollingUpdate (partition, maxUnavailable) or OnDelete.
 *
 * The controller observes; the set's machine (machine.ts) decides. Informers on StatefulSets,
 * Pods, PersistentVolumeClaims and ControllerRevisions; their handlers only enqueue set keys
 * (and note expectations): a pod enqueues its controller and the set its name says it belongs
 * to (a foreign or orphan pod holding a member's name matters to `identityFree`), a claim the
 * sets whose templates name it, a revision its controller. `sync(key)` adopts orphan members
 * the selector matches and releases owned pods it no longer matches (Kubernetes' ClaimPods with
 * isMemberOf), then sends the set's actor `statefulset.observed` and waits for the round the
 * machine runs; a round whose effect failed throws, and the work queue retries it with backoff.
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import pino, { type Logger } from 'pino';
import { objectKey, prefixFor } from '../../api/metadata.ts';
import { isRecord, type KubeObject } from '../../api/object.ts';
import { LabelSelector, type LabelSelectorObject } from '../../api/selectors.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { DEFAULT_EXPECTATIONS_TTL_MS, Expectations } from '../controller-kit/expectations.ts';
import { roundOver } from '../controller-kit/machine-round.ts';
import { actorState, objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { controllerRefOf, isReady } from '../controller-kit/pods.ts';
import { slowStartBatch } from '../controller-kit/slow-start.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import type { ActorHost } from '../host.ts';
import { systemClock, type ControllerClock } from '../job/clock.ts';
import { StatefulSetEffects } from './effects.ts';
import { claimName, isMemberOf, newStatefulSetPod, parentAndOrdinal } from './identity.ts';
import { CLAIMS, CONTROLLER_REVISIONS, PODS, STATEFUL_SETS } from './kinds.ts';
import {
  BUSY,
  statefulSetMachine,
  type CreatePodsInput,
  type DeletePodsInput,
  type RepairPodsInput,
  type StatefulSetContext,
  type SyncRevisionsInput,
  type SyncRevisionsOutput,
  type WriteStatusInput,
} from './machine.ts';
import { statefulSetSpec } from './spec.ts';
import { RealStatefulPodControl, type StatefulPodControl } from './stateful-pod-control.ts';

export { DEFAULT_BURST_PODS } from './machine.ts';

export interface StatefulSetControllerOptions extends OwnerControllerOptions {
  /** Time and the machines' timers (tests: xstate's SimulatedClock). */
  clock?: ControllerClock;
  burstPods?: number;
  expectationsTtlMs?: number;
  /** How pods and claims are written (default: through the Registry; tests: FakeStatefulPodControl). */
  podControl?: StatefulPodControl;
}

type StatefulSetActor = Actor<typeof statefulSetMachine>;

export class StatefulSetController {
  private readonly sets: ObjectInformer;
  private readonly pods: ObjectInformer;
  private readonly claims: ObjectInformer;
  private readonly revisions: ObjectInformer;
  /** Pods by namespace, then name. */
  private readonly podsByNamespace = new Map<string, Map<string, KubeObject>>();
  /** Claims by namespace, then name. */
  private readonly claimsByNamespace = new Map<string, Map<string, KubeObject>>();
  /** ControllerRevisions by the key of the set their controller reference names, then informer key. */
  private readonly revisionsByOwner = new Map<string, Map<string, KubeObject>>();
  private readonly host: ActorHost<KubeObject, StatefulSetActor>;
  readonly expectations: Expectations;
  private readonly queue: WorkQueue;
  private readonly effects: StatefulSetEffects;
  private readonly podControl: StatefulPodControl;
  private readonly clock: ControllerClock;
  private readonly log: Logger;

  constructor(private readonly opts: StatefulSetControllerOptions) {
    this.clock = opts.clock ?? systemClock();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.expectations = new Expectations(() => this.clock.now(), opts.expectationsTtlMs ?? DEFAULT_EXPECTATIONS_TTL_MS);
    this.effects = new StatefulSetEffects(opts.registry);
    this.podControl = opts.podControl ?? new RealStatefulPodControl(opts.registry, opts.events);
    this.queue = new WorkQueue((key) => this.sync(key), {
      workers: opts.workers,
      onError: (key, err) => this.log.warn({ err, key }, 'StatefulSet sync failed; retrying'),
    });
    this.sets = objectInformer(opts.store, STATEFUL_SETS);
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podDeleted(pod),
    });
    this.claims = objectInformer(opts.store, CLAIMS, {
      onAdd: (claim) => this.claimChanged(claim),
      onUpdate: (_old, claim) => this.claimChanged(claim),
      onDelete: (claim) => this.claimChanged(claim, true),
    });
    this.revisions = objectInformer(opts.store, CONTROLLER_REVISIONS, {
      onAdd: (r, key) => this.revisionChanged(r, key),
      onUpdate: (old, r, key) => this.revisionChanged(r, key, old),
      onDelete: (r, key) => this.revisionChanged(r, key, r, true),
    });
    const machine = this.provideEffects();
    this.host = objectActors<StatefulSetActor>(STATEFUL_SETS, this.sets, opts.bus, (set, inspect) =>
      createActor(machine, { input: { namespace: set.metadata?.namespace, name: set.metadata?.name ?? '', burst: opts.burstPods }, inspect, clock: this.clock }).start(),
    );
    // Registered after the actor host's, so a set's actor exists when its first sync runs.
    this.sets.addHandlers({
      onAdd: (_s, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (_s, key) => {
        this.expectations.forget(key);
        this.queue.add(key);
      },
    });
  }

  start(): Promise<void> {
    return startInOrder([this.pods, this.claims, this.revisions, this.sets], this.queue);
  }

  stop(): void {
    stopAll(this.queue, [this.sets, this.revisions, this.claims, this.pods], this.host);
  }

  /** The set's machine state (`steady`, `progressing`, `syncing.creating`, …), for tests and the UI. */
  stateOf(namespace: string, name: string): string | undefined {
    return actorState(this.host, STATEFUL_SETS, namespace, name);
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  /** Queues a sync of the set (what a periodic resync would do). */
  enqueue(namespace: string, name: string): void {
    this.queue.add(objectKey(STATEFUL_SETS, namespace, name));
  }

  // ---- sync: observe, let the machine decide ----

  private async sync(key: string): Promise<void> {
    const set = this.sets.get(key);
    if (!set) {
      this.expectations.forget(key);
      return;
    }
    const actor = this.host.get(key);
    if (!actor) return;
    const namespace = set.metadata?.namespace ?? '';
    const inNamespace = [...(this.podsByNamespace.get(namespace)?.values() ?? [])];
    const pods = await this.claimPods(set, inNamespace.filter((p) => isMemberOf(set, p)));
    actor.send({
      type: 'statefulset.observed',
      facts: {
        set,
        pods,
        podNames: inNamespace.filter((p) => isMemberOf(set, p)).map((p) => p.metadata?.name ?? ''),
        claims: this.claimsOf(set),
        revisions: [...(this.revisionsByOwner.get(key)?.values() ?? [])].filter((r) => controllerRefOf(r)?.uid === set.metadata?.uid),
        now: this.clock.now(),
        expectationsMet: this.expectations.satisfied(key),
      },
    });
    const snapshot = await roundOver(actor, BUSY);
    if (snapshot.context.error !== undefined) throw snapshot.context.error;
  }

  /**
   * Kubernetes' ClaimPods for a StatefulSet: of the set's members by name, the pods it controls
   * after adopting orphans its selector matches and releasing owned pods it no longer matches.
   */
  private async claimPods(set: KubeObject, members: KubeObject[]): Promise<KubeObject[]> {
    const uid = set.metadata?.uid;
    const deleting = Boolean(set.metadata?.deletionTimestamp);
    const selector = selectorOf(set);
    let canAdopt: Promise<boolean> | undefined;
    const claimed: KubeObject[] = [];
    for (const pod of members) {
      const ref = controllerRefOf(pod);
      const matches = selector?.matches(pod.metadata?.labels) ?? false;
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches || deleting) claimed.push(pod);
        else await this.effects.release(set, pod);
        continue;
      }
      if (deleting || !matches || pod.metadata?.deletionTimestamp) continue;
      // Adopt only while the set, read fresh, is still this one and not being deleted.
      canAdopt ??= this.opts.registry.get(STATEFUL_SETS, set.metadata?.namespace, set.metadata?.name ?? '').then(
        (fresh) => fresh.metadata?.uid === uid && !fresh.metadata?.deletionTimestamp,
        () => false,
      );
      if ((await canAdopt) && (await this.effects.adopt(set, pod))) claimed.push(pod);
    }
    return claimed;
  }

  /** The namespace's claims named after one of the set's templates. */
  private claimsOf(set: KubeObject): KubeObject[] {
    const byName = this.claimsByNamespace.get(set.metadata?.namespace ?? '');
    if (!byName) return [];
    return [...byName.values()].filter((c) => claimOfSet(set, c.metadata?.name ?? ''));
  }

  /** The machine with this controller's effects: Registry writes, with expectations recorded first. */
  private provideEffects() {
    return statefulSetMachine.provide({
      actors: {
        syncRevisions: fromPromise<SyncRevisionsOutput, SyncRevisionsInput>(({ input }) => this.effects.syncRevisions(input)),
        createPods: fromPromise<void, CreatePodsInput>(({ input }) => this.createAll(input)),
        deletePods: fromPromise<void, DeletePodsInput>(({ input }) => this.deleteAll(input)),
        repairPods: fromPromise<void, RepairPodsInput>(({ input }) => this.repairAll(input)),
        writeStatus: fromPromise<void, WriteStatusInput>(({ input }) => this.effects.writeStatus(input.set, input.status)),
      },
      actions: {
        requestSync: ({ context }: { context: StatefulSetContext }) => this.queue.add(objectKey(STATEFUL_SETS, context.namespace, context.name)),
      },
    });
  }

  private async createAll({ set, pods }: CreatePodsInput): Promise<void> {
    const key = keyOf(set);
    this.expectations.expectCreations(key, pods.length);
    this.queue.addAfter(key, this.expectations.ttlMs);
    let next = 0;
    const spec = statefulSetSpec(set);
    const { succeeded, error } = await slowStartBatch(pods.length, 1, () => {
      const p = pods[next++]!;
      return this.podControl.createStatefulPod(set, newStatefulSetPod(set, p.template, p.ordinal, p.revision, spec), p.claims);
    });
    // Creates that failed or were never made will not be observed.
    for (let i = succeeded; i < pods.length; i++) this.expectations.creationObserved(key);
    if (error !== undefined) throw error;
  }

  private async deleteAll({ set, deletions }: DeletePodsInput): Promise<void> {
    const key = keyOf(set);
    this.expectations.expectDeletions(key, deletions.map((d) => d.pod.metadata?.uid ?? ''));
    this.queue.addAfter(key, this.expectations.ttlMs);
    const results = await Promise.allSettled(
      deletions.map(async ({ pod }) => {
        const uid = pod.metadata?.uid ?? '';
        try {
          const deleted = await this.podControl.deleteStatefulPod(set, pod);
          // Already gone, and its deletion already seen by the informer: nothing more will come.
          if (!deleted && this.podsByNamespace.get(pod.metadata?.namespace ?? '')?.get(pod.metadata?.name ?? '')?.metadata?.uid !== uid) this.expectations.deletionObserved(key, uid);
        } catch (err) {
          this.expectations.deletionObserved(key, uid);
          throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async repairAll({ set, repairs }: RepairPodsInput): Promise<void> {
    for (const r of repairs) {
      if (r.createClaims.length > 0) await this.podControl.createClaims(set, r.pod, r.createClaims);
      if (r.labels) await this.podControl.updatePodLabels(set, r.pod, r.labels);
      for (const c of r.claimOwners) await this.podControl.updateClaimOwners(set, r.pod, c.claim, c.ownerReferences);
    }
  }

  // ---- informer events: note expectations, enqueue sets ----

  private podAdded(pod: KubeObject): void {
    this.index(this.podsByNamespace, pod);
    const owner = this.ownerKeyOf(pod);
    if (owner) {
      if (pod.metadata?.deletionTimestamp) this.expectations.deletionObserved(owner, pod.metadata?.uid ?? '');
      else this.expectations.creationObserved(owner);
    }
    this.enqueueFor(pod, owner);
  }

  private podUpdated(old: KubeObject, pod: KubeObject): void {
    this.index(this.podsByNamespace, pod);
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const owner = this.ownerKeyOf(pod);
    // Marked for graceful deletion: as good as gone for counting (Kubernetes does the same).
    if (owner && pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) this.expectations.deletionObserved(owner, pod.metadata?.uid ?? '');
    const oldOwner = this.ownerKeyOf(old);
    if (oldOwner && oldOwner !== owner) this.queue.add(oldOwner);
    this.enqueueFor(pod, owner);
    // A pod that just became ready is available minReadySeconds later: look again then.
    const set = owner ? this.sets.get(owner) : undefined;
    const minReady = set ? statefulSetSpec(set).minReadySeconds : 0;
    if (owner && minReady > 0 && !isReady(old) && isReady(pod)) this.queue.addAfter(owner, minReady * 1000 + 1);
  }

  private podDeleted(pod: KubeObject): void {
    this.podsByNamespace.get(pod.metadata?.namespace ?? '')?.delete(pod.metadata?.name ?? '');
    const owner = this.ownerKeyOf(pod);
    if (owner) this.expectations.deletionObserved(owner, pod.metadata?.uid ?? '');
    this.enqueueFor(pod, owner);
  }

  /** The pod's controller, and the set its name says it belongs to (which may hold its name as a stranger or an orphan). */
  private enqueueFor(pod: KubeObject, owner: string | undefined): void {
    if (owner) this.queue.add(owner);
    const { parent, ordinal } = parentAndOrdinal(pod.metadata?.name ?? '');
    if (ordinal < 0) return;
    const byName = objectKey(STATEFUL_SETS, pod.metadata?.namespace, parent);
    if (byName !== owner && this.sets.get(byName)) this.queue.add(byName);
  }

  private claimChanged(claim: KubeObject, deleted = false): void {
    const ns = claim.metadata?.namespace ?? '';
    if (deleted) this.claimsByNamespace.get(ns)?.delete(claim.metadata?.name ?? '');
    else this.index(this.claimsByNamespace, claim);
    const prefix = prefixFor(STATEFUL_SETS, ns);
    for (const [key, set] of this.sets.entries()) if (key.startsWith(prefix) && claimOfSet(set, claim.metadata?.name ?? '')) this.queue.add(key);
  }

  private revisionChanged(revision: KubeObject, key: string, old?: KubeObject, deleted = false): void {
    const before = old ? revisionOwnerKey(old) : undefined;
    if (before) this.revisionsByOwner.get(before)?.delete(key);
    const owner = revisionOwnerKey(revision);
    if (owner && !deleted) {
      let byKey = this.revisionsByOwner.get(owner);
      if (!byKey) this.revisionsByOwner.set(owner, (byKey = new Map()));
      byKey.set(key, revision);
    }
    if (before && before !== owner) this.queue.add(before);
    if (owner) this.queue.add(owner);
  }

  private index(byNamespace: Map<string, Map<string, KubeObject>>, obj: KubeObject): void {
    const ns = obj.metadata?.namespace ?? '';
    let objs = byNamespace.get(ns);
    if (!objs) byNamespace.set(ns, (objs = new Map()));
    objs.set(obj.metadata?.name ?? '', obj);
  }

  /** The key of the set controlling `pod`, when a cached set of that uid does. */
  private ownerKeyOf(pod: KubeObject): string | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'StatefulSet' || ref.apiVersion !== 'apps/v1' || typeof ref.name !== 'string') return undefined;
    const key = objectKey(STATEFUL_SETS, pod.metadata?.namespace, ref.name);
    return this.sets.get(key)?.metadata?.uid === ref.uid ? key : undefined;
  }
}

/** The set's selector; undefined (it selects nothing) when it has none, which validation refuses. */
function selectorOf(set: KubeObject): LabelSelector | undefined {
  const spec = isRecord(set.spec) ? set.spec : {};
  return isRecord(spec.selector) ? LabelSelector.fromObject(spec.selector as LabelSelectorObject) : undefined;
}

/** Whether `name` is `<template>-<set>-<ordinal>` for one of the set's claim templates. */
function claimOfSet(set: KubeObject, name: string): boolean {
  const spec = statefulSetSpec(set);
  return spec.claimTemplates.some((t) => {
    const prefix = claimName(set, t, 0).slice(0, -1);
    return name.startsWith(prefix) && /^[0-9]+$/.test(name.slice(prefix.length));
  });
}

/** The key of the set a revision's controller reference names. */
function revisionOwnerKey(revision: KubeObject): string | undefined {
  const ref = controllerRefOf(revision);
  if (!ref || ref.kind !== 'StatefulSet' || ref.apiVersion !== 'apps/v1' || typeof ref.name !== 'string') return undefined;
  return objectKey(STATEFUL_SETS, revision.metadata?.namespace, ref.name);
}

function keyOf(set: KubeObject): string {
  return objectKey(STATEFUL_SETS, set.metadata?.namespace, set.metadata?.name ?? '');
}

/** The StatefulSet controller (apps/v1), for the leader's CONTROLLERS list. */
export const statefulSetControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new StatefulSetController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, clock: systemClock(deps.now) });
