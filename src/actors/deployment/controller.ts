/**
 * The Deployment controller (Kubernetes' pkg/controller/deployment): a Deployment owns one
 * ReplicaSet per pod template and moves pods from the old sets to the new one by its strategy.
 *
 * Informer handlers only enqueue the Deployment's key; `sync(key)` reads the caches, claims
 * ReplicaSets (adopts matching orphans, releases owned sets that stopped matching) and tells the
 * Deployment's machine what it saw (machine.ts). The machine decides the path (scale, roll,
 * recreate, complete, failed, paused, status only) and makes its writes through the effect
 * actors provided here (effects.ts `apply`); `sync` waits for its round to close. No
 * expectations are needed: the new set's name is deterministic (a second create is
 * AlreadyExists) and every update carries the resourceVersion read, so a stale cache ends in a
 * Conflict, a failed round and a retry. Nothing runs on a timer except per-key retries and the
 * machines' progress-deadline checks.
 */
import { createActor, fromPromise, type Actor, type ActorOptions } from 'xstate';
import pino, { type Logger } from 'pino';
import { objectKey, prefixFor } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { LabelSelector, type LabelSelectorObject } from '../../api/selectors.ts';
import type { Controller, ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ActorHost } from '../host.ts';
import { actorState, objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { Rounds } from '../controller-kit/rounds.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { DeploymentEffects } from './effects.ts';
import { RunningPodsByOwner } from './old-pods.ts';
import { deploymentMachine, type ApplyPlanInput } from './machine.ts';
import { controllerRefOf, DEPLOYMENTS, PODS, deploymentSpec, REPLICA_SETS } from './objects.ts';

export interface DeploymentControllerOptions extends OwnerControllerOptions {
  now?: () => Date;
  /** The machines' timers (progress-deadline checks); tests pass xstate's SimulatedClock. Default: the system's. */
  clock?: NonNullable<ActorOptions<typeof deploymentMachine>['clock']>;
}

type DeploymentActor = Actor<typeof deploymentMachine>;

export class DeploymentController implements Controller {
  private readonly deployments: ObjectInformer;
  private readonly replicaSets: ObjectInformer;
  private readonly pods: ObjectInformer;
  private readonly runningPods = new RunningPodsByOwner();
  private readonly host: ActorHost<KubeObject, DeploymentActor>;
  private readonly queue: WorkQueue;
  private readonly effects: DeploymentEffects;
  private readonly now: () => Date;
  private readonly log: Logger;
  private readonly rounds = new Rounds();
  /** Keys whose last sync failed: a retry is scheduled. */
  private readonly retrying = new Set<string>();

  constructor(opts: DeploymentControllerOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.effects = new DeploymentEffects(opts.registry, opts.events);
    this.queue = new WorkQueue(
      async (key) => {
        await this.sync(key);
        this.retrying.delete(key);
      },
      {
        workers: opts.workers,
        onError: (key, err) => {
          this.retrying.add(key);
          this.log.debug({ err, key }, 'deployment sync failed; retrying');
        },
      },
    );
    this.deployments = objectInformer(opts.store, DEPLOYMENTS);
    this.replicaSets = objectInformer(opts.store, REPLICA_SETS, {
      onAdd: (rs) => this.replicaSetChanged(undefined, rs),
      onUpdate: (old, rs) => this.replicaSetChanged(old, rs),
      onDelete: (rs) => this.replicaSetChanged(undefined, rs),
    });
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod, key) => this.podChanged(pod, key, false),
      onUpdate: (old, pod, key) => {
        // Released by its set (or adopted by another): no longer that set's pod.
        if (controllerRefOf(old)?.uid !== controllerRefOf(pod)?.uid) this.podChanged(old, key, true);
        this.podChanged(pod, key, false);
      },
      onDelete: (pod, key) => this.podChanged(pod, key, true),
    });
    const machine = this.provideEffects();
    this.host = objectActors<DeploymentActor>(DEPLOYMENTS, this.deployments, opts.bus, (d, inspect) =>
      // An explicit `clock: undefined` would replace xstate's default clock.
      createActor(machine, { input: { key: objectKey(DEPLOYMENTS, d.metadata?.namespace, d.metadata?.name ?? '') }, inspect, ...(opts.clock ? { clock: opts.clock } : {}) }).start(),
    );
    // After the host's: a Deployment's actor exists before its first sync runs.
    this.deployments.addHandlers({
      onAdd: (_d, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (_d, key) => this.queue.add(key),
    });
  }

  /** The machine with this controller's effects: the plan's writes, Warnings, resyncs. */
  private provideEffects(): typeof deploymentMachine {
    const apply = fromPromise<void, ApplyPlanInput>(({ input }) => this.effects.apply(input));
    return deploymentMachine.provide({
      actions: {
        recordWarning: ({ context }, { reason, message }) => {
          if (context.facts) this.effects.record(context.facts.deployment, 'Warning', reason, message);
        },
        requestSync: ({ context }) => this.queue.add(context.key),
      },
      actors: { scaleReplicaSets: apply, rollOutReplicaSets: apply, writeStatus: apply },
    });
  }

  start(): Promise<void> {
    return startInOrder([this.pods, this.replicaSets, this.deployments], this.queue);
  }

  stop(): void {
    stopAll(this.queue, [this.deployments, this.replicaSets, this.pods], this.host);
  }

  /** The machine's state (`progressing.rolling`, `complete`, `paused`, `failed`, …), for tests and the UI. */
  stateOf(namespace: string, name: string): string | undefined {
    return actorState(this.host, DEPLOYMENTS, namespace, name);
  }

  /** True when no sync is queued, running, or waiting to be retried. */
  idle(): boolean {
    return this.queue.length === 0 && this.retrying.size === 0;
  }

  /** Queues a sync (what a periodic resync does). */
  enqueue(namespace: string, name: string): void {
    this.queue.add(objectKey(DEPLOYMENTS, namespace, name));
  }

  /** The cached ReplicaSets and Deployments, for tests that wait for the caches to catch up. */
  cachedVersions(): Map<string, string> {
    const out = new Map<string, string>();
    for (const inf of [this.deployments, this.replicaSets]) for (const [k, o] of inf.entries()) out.set(k, o.metadata?.resourceVersion ?? '');
    return out;
  }

  // ---- handlers ----

  private replicaSetChanged(old: KubeObject | undefined, rs: KubeObject): void {
    for (const obj of old ? [old, rs] : [rs]) {
      const ref = controllerRefOf(obj);
      if (ref) {
        if (ref.kind === DEPLOYMENTS.kind && typeof ref.name === 'string') this.queue.add(objectKey(DEPLOYMENTS, obj.metadata?.namespace, ref.name));
        continue;
      }
      // An orphan: the Deployments that would adopt it.
      const prefix = prefixFor(DEPLOYMENTS, obj.metadata?.namespace);
      for (const [key, d] of this.deployments.entries()) {
        if (key.startsWith(prefix) && selectorOf(d).matches(obj.metadata?.labels)) this.queue.add(key);
      }
    }
  }

  /** A ReplicaSet lost a running pod: a Recreate Deployment waiting for it may go on. */
  private podChanged(pod: KubeObject, key: string, gone: boolean): void {
    const owner = this.runningPods.observe(pod, key, gone);
    if (!owner) return;
    const rs = this.replicaSets.get(objectKey(REPLICA_SETS, owner.namespace, owner.name));
    const ref = rs ? controllerRefOf(rs) : undefined;
    if (ref?.kind !== DEPLOYMENTS.kind || typeof ref.name !== 'string') return;
    const key2 = objectKey(DEPLOYMENTS, owner.namespace, ref.name);
    const d = this.deployments.get(key2);
    if (d && deploymentSpec(d).strategyType === 'Recreate') this.queue.add(key2);
  }

  // ---- sync ----

  private async sync(key: string): Promise<void> {
    const d = this.deployments.get(key);
    const actor = this.host.get(key);
    if (!d || !actor) return;
    const replicaSets = await this.claimReplicaSets(d);
    const replicaSetsWithPods = replicaSets.map((rs) => rs.metadata?.uid ?? '').filter((uid) => this.runningPods.anyRunning([uid]));
    try {
      await this.rounds.run(actor, { type: 'deployment.observed', deployment: d, replicaSets, replicaSetsWithPods, now: this.now().getTime() });
    } catch (err) {
      // The Deployment went away during the round (its actor stopped): nothing left to retry.
      if (this.host.get(key) !== actor) return;
      throw err;
    }
  }

  /**
   * getReplicaSetsForDeployment: owned sets that match, plus matching orphans adopted. A selector
   * that selects everything claims nothing (the machine refuses such a Deployment).
   */
  private async claimReplicaSets(d: KubeObject): Promise<KubeObject[]> {
    const uid = d.metadata?.uid;
    const deleting = Boolean(d.metadata?.deletionTimestamp);
    const selector = selectorOf(d);
    if (selector.empty) return [];
    const prefix = prefixFor(REPLICA_SETS, d.metadata?.namespace);
    const claimed: KubeObject[] = [];
    for (const [key, rs] of this.replicaSets.entries()) {
      if (!key.startsWith(prefix)) continue;
      const ref = controllerRefOf(rs);
      const matches = selector.matches(rs.metadata?.labels);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) claimed.push(rs);
        else if (!deleting) await this.effects.release(d, rs);
        continue;
      }
      if (matches && !deleting && !rs.metadata?.deletionTimestamp) claimed.push(await this.effects.adopt(d, rs));
    }
    return claimed;
  }
}

function selectorOf(d: KubeObject): LabelSelector {
  return LabelSelector.fromObject(deploymentSpec(d).selector as LabelSelectorObject | undefined);
}

/** The Deployment controller (apps/v1). */
export const deploymentControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new DeploymentController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, now: deps.now });
