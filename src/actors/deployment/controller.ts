/**
 * The Deployment controller (Kubernetes' pkg/controller/deployment): a Deployment owns one
 * ReplicaSet per pod template and moves pods from the old sets to the new one by its strategy.
 *
 * Informer handlers only enqueue the Deployment's key; `sync(key)` reads the caches, claims
 * ReplicaSets (adopts matching orphans, releases owned sets that stopped matching), then either
 * only scales (paused, or spec.replicas changed) or rolls out (RollingUpdate / Recreate), and
 * writes status. No expectations are needed: the new set's name is deterministic (a second
 * create is AlreadyExists) and every update carries the resourceVersion read, so a stale cache
 * ends in a Conflict and a retry. Nothing runs on a timer except per-key retries and the
 * progress-deadline check.
 */
import { createActor, type Actor } from 'xstate';
import pino, { type Logger } from 'pino';
import { objectKey, prefixFor } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { LabelSelector, type LabelSelectorObject } from '../../api/selectors.ts';
import { ApiError } from '../../api/status.ts';
import type { Controller, ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import type { ActorHost } from '../host.ts';
import { actorState, objectActors, startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { DeploymentEffects } from './effects.ts';
import { RunningPodsByOwner } from './old-pods.ts';
import { InvalidIntOrPercentError, maxSurge, maxUnavailable } from './fenceposts.ts';
import { NOTHING_OBSERVED, rolloutMachine, type RolloutObservation } from './machine.ts';
import { annotationsOf, byRevision, controllerRefOf, DEPLOYMENTS, PODS, deploymentSpec, REPLICA_SETS, revisionOf, specReplicas, statusNumber } from './objects.ts';
import { proportionalScale } from './proportional.ts';
import { countsOf, findNewReplicaSet, maxRevision, newReplicaSetFor, setNewReplicaSetAnnotations, setReplicasAnnotations } from './replica-sets.ts';
import { reconcileNewReplicaSet, reconcileOldReplicaSets } from './rolling.ts';
import {
  calculateStatus,
  currentStatus,
  deploymentComplete,
  getCondition,
  msUntilDeadline,
  newCondition,
  REASONS,
  rolloutStatus,
  setCondition,
  statusJson,
  type DeploymentStatus,
} from './status.ts';

export interface DeploymentControllerOptions extends OwnerControllerOptions {
  now?: () => Date;
}

type RolloutActor = Actor<typeof rolloutMachine>;

/** How soon a rollout already past its deadline, yet not marked failed, is looked at again. */
const DEADLINE_RECHECK_MS = 1000;

/** A Deployment's sets as one sync sees them; `d` is its latest version (writes replace it). */
interface Rollout {
  d: KubeObject;
  newRS: KubeObject | undefined;
  oldRSs: KubeObject[];
}

export class DeploymentController implements Controller {
  private readonly deployments: ObjectInformer;
  private readonly replicaSets: ObjectInformer;
  private readonly pods: ObjectInformer;
  private readonly runningPods = new RunningPodsByOwner();
  private readonly host: ActorHost<KubeObject, RolloutActor>;
  private readonly queue: WorkQueue;
  private readonly effects: DeploymentEffects;
  private readonly now: () => Date;
  private readonly log: Logger;
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
    this.deployments = objectInformer(opts.store, DEPLOYMENTS, {
      onAdd: (_d, key) => this.queue.add(key),
      onUpdate: (_o, _n, key) => this.queue.add(key),
      onDelete: (_d, key) => this.queue.add(key),
    });
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
    this.host = objectActors<RolloutActor>(DEPLOYMENTS, this.deployments, opts.bus, (_d, inspect) =>
      createActor(rolloutMachine, { input: NOTHING_OBSERVED, inspect }).start(),
    );
  }

  start(): Promise<void> {
    return startInOrder([this.pods, this.replicaSets, this.deployments], this.queue);
  }

  stop(): void {
    stopAll(this.queue, [this.deployments, this.replicaSets, this.pods], this.host);
  }

  /** The rollout machine's state (`progressing`, `complete`, `paused`, `failed`). */
  stateOf(namespace: string, name: string): string | undefined {
    return actorState(this.host, DEPLOYMENTS, namespace, name);
  }

  /** True when no sync is queued, running, or waiting to be retried. */
  idle(): boolean {
    return this.queue.length === 0 && this.retrying.size === 0;
  }

  /** Queues a sync (what a periodic resync or the deadline timer does). */
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
    const cached = this.deployments.get(key);
    if (!cached) return;
    try {
      await this.syncDeployment(key, structuredClone(cached));
    } catch (err) {
      // A malformed maxSurge/maxUnavailable will not heal by retrying: say so once per change.
      if (!(err instanceof InvalidIntOrPercentError)) throw err;
      this.effects.record(cached, 'Warning', 'InvalidStrategy', err.message);
    }
  }

  private async syncDeployment(key: string, d: KubeObject): Promise<void> {
    if (selectorOf(d).empty) {
      this.effects.record(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    const sets = await this.claimReplicaSets(d);
    if (d.metadata?.deletionTimestamp) {
      const r = this.split(d, sets);
      await this.finish(key, r.d, calculateStatus(r.d, all(r), r.newRS, this.nowMs()), false);
      return;
    }
    d = await this.checkPausedConditions(d);
    const spec = deploymentSpec(d);
    if (spec.paused || this.isScalingEvent(d, sets)) {
      await this.syncScale(key, d, sets);
      return;
    }
    if (spec.strategyType === 'Recreate') await this.rolloutRecreate(key, d, sets);
    else await this.rolloutRolling(key, d, sets);
  }

  /**
   * Writes the status when it changed. A rollout whose status did not change is looked at again
   * when its progress deadline would pass (requeueStuckDeployment); scale-only and deletion syncs
   * estimate no progress. Tells the machine.
   */
  private async finish(key: string, d: KubeObject, status: DeploymentStatus, estimateProgress: boolean): Promise<void> {
    const changed = JSON.stringify(statusJson(currentStatus(d))) !== JSON.stringify(statusJson(status));
    if (changed) d = await this.effects.writeStatus(d, statusJson(status));
    else if (estimateProgress) {
      const wait = msUntilDeadline(d, status, this.nowMs());
      // Past the deadline already: not at once again (Kubernetes rate-limits this requeue).
      if (wait !== undefined) this.queue.addAfter(key, wait > 0 ? wait + 1 : DEADLINE_RECHECK_MS);
    }
    this.host.get(key)?.send({ type: 'rollout.observed', ...observe(d, status) });
  }

  private nowMs(): number {
    return this.now().getTime();
  }

  /** getReplicaSetsForDeployment: owned sets that match, plus matching orphans adopted. */
  private async claimReplicaSets(d: KubeObject): Promise<KubeObject[]> {
    const uid = d.metadata?.uid;
    const deleting = Boolean(d.metadata?.deletionTimestamp);
    const selector = selectorOf(d);
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

  /** checkPausedConditions: Progressing=Unknown DeploymentPaused / DeploymentResumed on a change. */
  private async checkPausedConditions(d: KubeObject): Promise<KubeObject> {
    const spec = deploymentSpec(d);
    if (spec.progressDeadlineSeconds === undefined) return d;
    const status = currentStatus(d);
    const cond = getCondition(status, 'Progressing');
    if (cond?.reason === REASONS.progressDeadlineExceeded) return d;
    const pausedCond = cond?.reason === REASONS.paused;
    if (spec.paused === pausedCond) return d;
    const [reason, message] = spec.paused ? [REASONS.paused, 'Deployment is paused'] : [REASONS.resumed, 'Deployment is resumed'];
    setCondition(status, newCondition('Progressing', 'Unknown', reason, message, this.nowMs()));
    return this.effects.writeStatus(d, statusJson(status));
  }

  /** isScalingEvent: an active set was last sized for another spec.replicas. */
  private isScalingEvent(d: KubeObject, sets: KubeObject[]): boolean {
    const { replicas } = deploymentSpec(d);
    const r = this.split(d, sets);
    return all(r).some((rs) => specReplicas(rs) > 0 && countsOf(rs).desiredAnnotation !== undefined && countsOf(rs).desiredAnnotation !== replicas);
  }

  /** The new set (by template) and the others, without writing anything. */
  private split(d: KubeObject, sets: KubeObject[]): Rollout {
    const newRS = findNewReplicaSet(d, sets);
    return { d, newRS, oldRSs: sets.filter((rs) => rs !== newRS) };
  }

  /** sync.go `sync`: scale only (paused, or spec.replicas changed), clean up history when paused. */
  private async syncScale(key: string, d: KubeObject, sets: KubeObject[]): Promise<void> {
    const r = await this.newReplicaSetSynced(this.split(d, sets), false);
    const { replicas, strategyType, paused } = deploymentSpec(r.d);
    const surge = maxSurge(r.d);
    const byName = new Map(all(r).map((rs) => [rs.metadata?.name ?? '', rs]));
    const targets = proportionalScale({
      replicas,
      surge,
      rollingUpdate: strategyType === 'RollingUpdate',
      statusReplicas: statusNumber(r.d, 'replicas'),
      newRS: r.newRS ? countsOf(r.newRS) : undefined,
      oldRSs: r.oldRSs.map(countsOf),
    });
    for (const t of targets) {
      const rs = byName.get(t.name);
      if (rs) await this.scaleReplicaSet(r.d, rs, t.to);
    }
    if (paused) await this.cleanupDeployment(r.d, r.oldRSs);
    await this.finish(key, r.d, calculateStatus(r.d, all(r), r.newRS, this.nowMs()), false);
  }

  private async rolloutRolling(key: string, d: KubeObject, sets: KubeObject[]): Promise<void> {
    const r = await this.newReplicaSetSynced(this.split(d, sets), true);
    const newRS = r.newRS as KubeObject;
    const sets2 = all(r);
    const spec = deploymentSpec(r.d);
    const limits = { replicas: spec.replicas, surge: maxSurge(r.d), unavailable: maxUnavailable(r.d) };
    const finish = (): Promise<void> => this.finish(key, r.d, rolloutStatus(r.d, sets2, newRS, this.nowMs()), true);

    const target = reconcileNewReplicaSet(limits, sets2.map(countsOf), countsOf(newRS));
    if (target !== undefined && (await this.scaleReplicaSet(r.d, newRS, target)).scaled) return finish();

    const activeOld = r.oldRSs.filter((rs) => specReplicas(rs) > 0);
    const steps = reconcileOldReplicaSets(limits, sets2.map(countsOf), activeOld.map(countsOf), countsOf(newRS));
    const latest = new Map(activeOld.map((rs) => [rs.metadata?.name ?? '', rs]));
    for (const step of steps) {
      const rs = latest.get(step.name);
      if (rs) latest.set(step.name, (await this.scaleReplicaSet(r.d, rs, step.to)).rs);
    }
    if (steps.length > 0) return finish();

    if (deploymentComplete(r.d, currentStatus(r.d))) await this.cleanupDeployment(r.d, r.oldRSs);
    return finish();
  }

  /** rolloutRecreate: old sets to 0, wait until none of their pods is left, then the new set. */
  private async rolloutRecreate(key: string, d: KubeObject, sets: KubeObject[]): Promise<void> {
    let r = await this.newReplicaSetSynced(this.split(d, sets), false);
    const status = (): DeploymentStatus => rolloutStatus(r.d, all(r), r.newRS, this.nowMs());
    let scaledDown = false;
    for (const rs of r.oldRSs.filter((s) => specReplicas(s) > 0)) {
      if ((await this.scaleReplicaSet(r.d, rs, 0)).scaled) scaledDown = true;
    }
    // Old pods still counted by their sets, or still there (terminating ones too): the new
    // pods may not start before they are gone.
    const oldUids = r.oldRSs.map((rs) => rs.metadata?.uid ?? '');
    const oldPodsRunning = r.oldRSs.some((rs) => statusNumber(rs, 'replicas') > 0) || this.runningPods.anyRunning(oldUids);
    if (scaledDown || oldPodsRunning) return this.finish(key, r.d, status(), true);
    if (!r.newRS) r = await this.newReplicaSetSynced(r, true);
    await this.scaleReplicaSet(r.d, r.newRS as KubeObject, deploymentSpec(r.d).replicas);
    if (deploymentComplete(r.d, currentStatus(r.d))) await this.cleanupDeployment(r.d, r.oldRSs);
    return this.finish(key, r.d, status(), true);
  }

  /**
   * getNewReplicaSet: brings the existing new set's annotations and minReadySeconds up to date
   * and the Deployment's revision with it, or (when `create`) creates the new set at revision
   * max(old)+1. Returns the rollout with the latest objects.
   */
  private async newReplicaSetSynced(r: Rollout, create: boolean): Promise<Rollout> {
    let d = r.d;
    const spec = deploymentSpec(d);
    const revision = maxRevision(r.oldRSs) + 1;
    const maxReplicas = spec.replicas + maxSurge(d);
    const status = currentStatus(d);
    const existing = r.newRS;
    if (existing) {
      const annotations = { ...annotationsOf(existing) };
      const changed = setNewReplicaSetAnnotations(d, annotations, revision, true, maxReplicas);
      const rsSpec = existing.spec as Record<string, unknown>;
      if (changed || rsSpec.minReadySeconds !== spec.minReadySeconds) {
        // Updating the set triggers another sync, which then syncs the Deployment's revision.
        const updated = await this.effects.updateReplicaSet({ ...existing, metadata: { ...existing.metadata, annotations }, spec: { ...rsSpec, minReadySeconds: spec.minReadySeconds } });
        return { ...r, newRS: updated };
      }
      d = await this.syncRevision(d, revisionOf(existing));
      if (spec.progressDeadlineSeconds !== undefined && !getCondition(status, 'Progressing')) {
        setCondition(status, newCondition('Progressing', 'True', REASONS.foundNewReplicaSet, `Found new replica set "${existing.metadata?.name ?? ''}"`, this.nowMs()));
        d = await this.effects.writeStatus(d, statusJson(status));
      }
      return { ...r, d };
    }
    if (!create) return r;

    const all0 = [...r.oldRSs];
    const counts = all0.map(countsOf);
    let replicas = spec.replicas;
    if (spec.strategyType === 'RollingUpdate') {
      const fresh = { name: '', replicas: 0, available: 0, createdMs: Number.MAX_SAFE_INTEGER };
      const limits = { replicas: spec.replicas, surge: maxSurge(d), unavailable: maxUnavailable(d) };
      replicas = reconcileNewReplicaSet(limits, [...counts, fresh], fresh) ?? 0;
    }
    const wanted = newReplicaSetFor(d, replicas, revision, maxReplicas, status.collisionCount);
    const name = wanted.metadata?.name ?? '';
    let created: KubeObject;
    let alreadyExisted = false;
    try {
      created = await this.effects.createReplicaSet(wanted);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.reason === 'AlreadyExists') {
        const found = await this.existingNewReplicaSet(d, wanted);
        if (!found) {
          // A set of that name with another template: a hash collision; try the next hash.
          status.collisionCount = (status.collisionCount ?? 0) + 1;
          await this.effects.writeStatus(d, statusJson(status));
          throw err;
        }
        created = found;
        alreadyExisted = true;
      } else {
        const msg = `Failed to create new replica set "${name}": ${err.message}`;
        if (spec.progressDeadlineSeconds !== undefined) {
          setCondition(status, newCondition('Progressing', 'False', REASONS.failedCreate, msg, this.nowMs()));
          await this.effects.writeStatus(d, statusJson(status)).catch(() => undefined);
        }
        this.effects.record(d, 'Warning', REASONS.failedCreate, msg);
        throw err;
      }
    }
    if (!alreadyExisted && replicas > 0) this.effects.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`);
    d = await this.syncRevision(d, revision);
    if (!alreadyExisted && spec.progressDeadlineSeconds !== undefined) {
      const fresh = currentStatus(d);
      setCondition(fresh, newCondition('Progressing', 'True', REASONS.newReplicaSetCreated, `Created new replica set "${name}"`, this.nowMs()));
      d = await this.effects.writeStatus(d, statusJson(fresh));
    }
    return { d, newRS: created, oldRSs: r.oldRSs };
  }

  /** The set named like `wanted`, when `d` controls it and its template is `d`'s: our own earlier create. */
  private async existingNewReplicaSet(d: KubeObject, wanted: KubeObject): Promise<KubeObject | undefined> {
    const rs = this.replicaSets.get(objectKey(REPLICA_SETS, wanted.metadata?.namespace, wanted.metadata?.name ?? ''));
    if (!rs) throw new ApiError(409, 'Conflict', 'replica set not yet in cache');
    return controllerRefOf(rs)?.uid === d.metadata?.uid && findNewReplicaSet(d, [rs]) ? rs : undefined;
  }

  /** SetDeploymentRevision: the Deployment's revision annotation follows its new set's. */
  private async syncRevision(d: KubeObject, revision: number): Promise<KubeObject> {
    return revisionOf(d) === revision ? d : this.effects.writeRevision(d, revision);
  }

  /**
   * scaleReplicaSet: sets spec.replicas and the desired/max annotations when either differs;
   * `scaled` when the size changed (then a ScalingReplicaSet event is recorded).
   */
  private async scaleReplicaSet(d: KubeObject, rs: KubeObject, to: number): Promise<{ scaled: boolean; rs: KubeObject }> {
    const from = specReplicas(rs);
    const { replicas } = deploymentSpec(d);
    const annotations = { ...annotationsOf(rs) };
    const annotationsChanged = setReplicasAnnotations(annotations, replicas, replicas + maxSurge(d));
    if (from === to && !annotationsChanged) return { scaled: false, rs };
    const updated = await this.effects.updateReplicaSet({
      ...rs,
      metadata: { ...rs.metadata, annotations },
      spec: { ...(rs.spec as Record<string, unknown>), replicas: to },
    });
    if (from === to) return { scaled: false, rs: updated };
    const direction = to > from ? 'up' : 'down';
    this.effects.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata?.name ?? ''} from ${from} to ${to}`);
    return { scaled: true, rs: updated };
  }

  /** cleanupDeployment: deletes the oldest idle old sets beyond revisionHistoryLimit. */
  private async cleanupDeployment(d: KubeObject, oldRSs: KubeObject[]): Promise<void> {
    const limit = deploymentSpec(d).revisionHistoryLimit;
    if (limit === undefined) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp).sort(byRevision);
    const excess = cleanable.length - limit;
    for (const rs of cleanable.slice(0, Math.max(0, excess))) {
      const idle = statusNumber(rs, 'replicas') === 0 && specReplicas(rs) === 0 && (rs.metadata?.generation ?? 0) <= statusNumber(rs, 'observedGeneration');
      if (idle) await this.effects.deleteReplicaSet(rs);
    }
  }
}

function all(r: Rollout): KubeObject[] {
  return r.newRS ? [...r.oldRSs, r.newRS] : [...r.oldRSs];
}

function selectorOf(d: KubeObject): LabelSelector {
  return LabelSelector.fromObject(deploymentSpec(d).selector as LabelSelectorObject | undefined);
}

/** What the rollout machine is told after a sync. */
function observe(d: KubeObject, status: DeploymentStatus): RolloutObservation {
  return {
    paused: deploymentSpec(d).paused,
    deadlineExceeded: getCondition(status, 'Progressing')?.reason === REASONS.progressDeadlineExceeded,
    complete: deploymentComplete(d, status),
    revision: revisionOf(d),
    replicas: status.replicas,
    updatedReplicas: status.updatedReplicas,
    availableReplicas: status.availableReplicas,
  };
}

/** The Deployment controller (apps/v1). */
export const deploymentControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new DeploymentController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger, now: deps.now });
