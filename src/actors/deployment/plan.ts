/**
 * The ReplicaSet writes one sync of a Deployment makes, computed without making them: Kubernetes'
 * sync paths (sync.go `sync` and getNewReplicaSet, rolling.go rolloutRolling, recreate.go
 * rolloutRecreate, cleanupDeployment) run on copies of the observed objects, each write recorded
 * in order instead of sent. The Deployment's machine chooses which path a sync takes (its guards)
 * and hands the plan to its effect actor; the arithmetic stays in rolling.ts and proportional.ts.
 *
 * Pure. A plan also carries the Deployment and its sets as the writes leave them (conditions
 * such as NewReplicaSetCreated set on the way), from which the status is computed.
 */
import type { KubeObject } from '../../api/object.ts';
import { maxSurge, maxUnavailable } from './fenceposts.ts';
import { annotationsOf, byRevision, deploymentSpec, revisionOf, specReplicas, statusNumber } from './objects.ts';
import { proportionalScale } from './proportional.ts';
import { countsOf, findNewReplicaSet, maxRevision, newReplicaSetFor, setNewReplicaSetAnnotations, setReplicasAnnotations } from './replica-sets.ts';
import { reconcileNewReplicaSet, reconcileOldReplicaSets } from './rolling.ts';
import { currentStatus, deploymentComplete, getCondition, newCondition, REASONS, setCondition, statusJson } from './status.ts';

/** What one sync observed of a Deployment. */
export interface DeploymentFacts {
  /** The Deployment, as cached. */
  deployment: KubeObject;
  /** The ReplicaSets it controls (after adopting orphans and releasing strays). */
  replicaSets: KubeObject[];
  /** Uids of ReplicaSets that still have pods not finished, terminating ones included (Recreate waits for them). */
  replicaSetsWithPods: string[];
  /** Epoch ms. */
  now: number;
}

export type ReplicaSetWrite =
  /** Create the new ReplicaSet (`event`: the ScalingReplicaSet message, when it starts above 0). */
  | { type: 'create'; replicaSet: KubeObject; event?: string }
  /** Set these fields on the latest version of the set `base` was read as (`event`: when its size changes). */
  | { type: 'update'; base: KubeObject; annotations: Record<string, string>; replicas: number; minReadySeconds?: number; event?: string }
  /** Delete this old set, if it is still the version read. */
  | { type: 'delete'; replicaSet: KubeObject };

export interface RolloutPlan {
  writes: ReplicaSetWrite[];
  /** The revision annotation the Deployment should carry, when it differs from its own. */
  revision?: number;
  /** The Deployment as the plan leaves it in memory (status conditions set on the way). */
  deployment: KubeObject;
  /** The new set (by template) after the writes; undefined when there is none yet. */
  newReplicaSet: KubeObject | undefined;
  /** Every set after the writes (the new one included). */
  replicaSets: KubeObject[];
}

/** A plan being built: copies of the objects, changed as the writes would change them. */
class Planner {
  readonly writes: ReplicaSetWrite[] = [];
  revision: number | undefined;
  d: KubeObject;
  newRS: KubeObject | undefined;
  oldRSs: KubeObject[];
  private readonly observed = new Map<string, KubeObject>();

  constructor(readonly facts: DeploymentFacts) {
    this.d = structuredClone(facts.deployment);
    for (const rs of facts.replicaSets) this.observed.set(rs.metadata?.name ?? '', rs);
    const sets = facts.replicaSets.map((rs) => structuredClone(rs));
    this.newRS = findNewReplicaSet(this.d, sets);
    this.oldRSs = sets.filter((rs) => rs !== this.newRS);
  }

  get all(): KubeObject[] {
    return this.newRS ? [...this.oldRSs, this.newRS] : [...this.oldRSs];
  }

  plan(): RolloutPlan {
    return { writes: this.writes, revision: this.revision, deployment: this.d, newReplicaSet: this.newRS, replicaSets: this.all };
  }

  private now(): number {
    return this.facts.now;
  }

  private setProgressing(status: 'True' | 'False' | 'Unknown', reason: string, message: string): void {
    const s = currentStatus(this.d);
    setCondition(s, newCondition('Progressing', status, reason, message, this.now()));
    this.d = { ...this.d, status: statusJson(s) };
  }

  /** checkPausedConditions: Progressing=Unknown DeploymentPaused / DeploymentResumed when pausing changed. */
  pausedConditions(): void {
    const spec = deploymentSpec(this.d);
    if (spec.progressDeadlineSeconds === undefined) return;
    const cond = getCondition(currentStatus(this.d), 'Progressing');
    if (cond?.reason === REASONS.progressDeadlineExceeded) return;
    if (spec.paused === (cond?.reason === REASONS.paused)) return;
    if (spec.paused) this.setProgressing('Unknown', REASONS.paused, 'Deployment is paused');
    else this.setProgressing('Unknown', REASONS.resumed, 'Deployment is resumed');
  }

  /**
   * getNewReplicaSet: brings the existing new set's annotations and minReadySeconds up to date
   * and the Deployment's revision with it, or (when `create`) creates the new set at revision
   * max(old)+1, sized by the surge for RollingUpdate.
   */
  newReplicaSet(create: boolean): void {
    const d = this.d;
    const spec = deploymentSpec(d);
    const revision = maxRevision(this.oldRSs) + 1;
    const maxReplicas = spec.replicas + maxSurge(d);
    const existing = this.newRS;
    if (existing) {
      const annotations = { ...annotationsOf(existing) };
      const changed = setNewReplicaSetAnnotations(d, annotations, revision, true, maxReplicas);
      const rsSpec = existing.spec as Record<string, unknown>;
      if (changed || rsSpec.minReadySeconds !== spec.minReadySeconds) {
        // Updating the set brings another sync, which then syncs the Deployment's revision.
        this.update(existing, { annotations, minReadySeconds: spec.minReadySeconds });
        return;
      }
      if (revisionOf(d) !== revisionOf(existing)) this.revision = revisionOf(existing);
      if (spec.progressDeadlineSeconds !== undefined && !getCondition(currentStatus(d), 'Progressing')) {
        this.setProgressing('True', REASONS.foundNewReplicaSet, `Found new replica set "${existing.metadata?.name ?? ''}"`);
      }
      return;
    }
    if (!create) return;
    let replicas = spec.replicas;
    if (spec.strategyType === 'RollingUpdate') {
      const fresh = { name: '', replicas: 0, available: 0, createdMs: Number.MAX_SAFE_INTEGER };
      const limits = { replicas: spec.replicas, surge: maxSurge(d), unavailable: maxUnavailable(d) };
      replicas = reconcileNewReplicaSet(limits, [...this.oldRSs.map(countsOf), fresh], fresh) ?? 0;
    }
    const created = newReplicaSetFor(d, replicas, revision, maxReplicas, currentStatus(d).collisionCount);
    const name = created.metadata?.name ?? '';
    this.writes.push({ type: 'create', replicaSet: created, ...(replicas > 0 ? { event: `Scaled up replica set ${name} from 0 to ${replicas}` } : {}) });
    this.newRS = created;
    if (revisionOf(d) !== revision) this.revision = revision;
    if (spec.progressDeadlineSeconds !== undefined) this.setProgressing('True', REASONS.newReplicaSetCreated, `Created new replica set "${name}"`);
  }

  /** scaleReplicaSet: spec.replicas and the desired/max annotations; true when the size changed. */
  scale(rs: KubeObject, to: number): boolean {
    const from = specReplicas(rs);
    const { replicas } = deploymentSpec(this.d);
    const annotations = { ...annotationsOf(rs) };
    const annotationsChanged = setReplicasAnnotations(annotations, replicas, replicas + maxSurge(this.d));
    if (from === to && !annotationsChanged) return false;
    const direction = to > from ? 'up' : 'down';
    const event = from === to ? undefined : `Scaled ${direction} replica set ${rs.metadata?.name ?? ''} from ${from} to ${to}`;
    this.update(rs, { annotations, replicas: to, event });
    return from !== to;
  }

  /** cleanupDeployment: deletes the oldest idle old sets beyond revisionHistoryLimit (as observed: idle before this sync). */
  cleanup(): void {
    const limit = deploymentSpec(this.d).revisionHistoryLimit;
    if (limit === undefined) return;
    const observedOld = this.oldRSs.map((rs) => this.observed.get(rs.metadata?.name ?? '')).filter((rs): rs is KubeObject => rs !== undefined);
    const cleanable = observedOld.filter((rs) => !rs.metadata?.deletionTimestamp).sort(byRevision);
    for (const rs of cleanable.slice(0, Math.max(0, cleanable.length - limit))) {
      const idle = statusNumber(rs, 'replicas') === 0 && specReplicas(rs) === 0 && (rs.metadata?.generation ?? 0) <= statusNumber(rs, 'observedGeneration');
      if (idle) this.writes.push({ type: 'delete', replicaSet: rs });
    }
  }

  /** Records an update of `rs` (a copy held here) and changes the copy to match. */
  private update(rs: KubeObject, change: { annotations: Record<string, string>; replicas?: number; minReadySeconds?: number; event?: string }): void {
    const spec = rs.spec as Record<string, unknown>;
    rs.metadata = { ...rs.metadata, annotations: change.annotations };
    if (change.replicas !== undefined) spec.replicas = change.replicas;
    if (change.minReadySeconds !== undefined) spec.minReadySeconds = change.minReadySeconds;
    const base = this.observed.get(rs.metadata?.name ?? '') ?? rs;
    const minReady = typeof spec.minReadySeconds === 'number' ? { minReadySeconds: spec.minReadySeconds } : {};
    this.writes.push({ type: 'update', base, annotations: change.annotations, replicas: specReplicas(rs), ...minReady, ...(change.event ? { event: change.event } : {}) });
  }
}

/** isScalingEvent: an active set was last sized for another spec.replicas (then the sync only scales). */
export function isScalingEvent(facts: DeploymentFacts): boolean {
  const { replicas } = deploymentSpec(facts.deployment);
  return facts.replicaSets.some((rs) => specReplicas(rs) > 0 && countsOf(rs).desiredAnnotation !== undefined && countsOf(rs).desiredAnnotation !== replicas);
}

/** syncStatusOnly (a Deployment being deleted): no writes, the sets as they are. */
export function planStatusOnly(facts: DeploymentFacts): RolloutPlan {
  return new Planner(facts).plan();
}

/** sync.go `sync` (paused, or spec.replicas changed): proportional scaling; history cleanup when paused. */
export function planScale(facts: DeploymentFacts): RolloutPlan {
  const p = new Planner(facts);
  p.pausedConditions();
  p.newReplicaSet(false);
  const { replicas, strategyType, paused } = deploymentSpec(p.d);
  const byName = new Map(p.all.map((rs) => [rs.metadata?.name ?? '', rs]));
  const targets = proportionalScale({
    replicas,
    surge: maxSurge(p.d),
    rollingUpdate: strategyType === 'RollingUpdate',
    statusReplicas: statusNumber(p.d, 'replicas'),
    newRS: p.newRS ? countsOf(p.newRS) : undefined,
    oldRSs: p.oldRSs.map(countsOf),
  });
  for (const t of targets) {
    const rs = byName.get(t.name);
    if (rs) p.scale(rs, t.to);
  }
  if (paused) p.cleanup();
  return p.plan();
}

/** rolloutRolling: the new set up within maxSurge, then old sets down within maxUnavailable; cleanup once complete. */
function planRolling(p: Planner): void {
  p.newReplicaSet(true);
  const newRS = p.newRS as KubeObject;
  const spec = deploymentSpec(p.d);
  const limits = { replicas: spec.replicas, surge: maxSurge(p.d), unavailable: maxUnavailable(p.d) };
  const all = p.all;
  const target = reconcileNewReplicaSet(limits, all.map(countsOf), countsOf(newRS));
  if (target !== undefined && p.scale(newRS, target)) return;
  const activeOld = p.oldRSs.filter((rs) => specReplicas(rs) > 0);
  const steps = reconcileOldReplicaSets(limits, all.map(countsOf), activeOld.map(countsOf), countsOf(newRS));
  const byName = new Map(activeOld.map((rs) => [rs.metadata?.name ?? '', rs]));
  for (const step of steps) {
    const rs = byName.get(step.name);
    if (rs) p.scale(rs, step.to);
  }
  if (steps.length > 0) return;
  if (deploymentComplete(p.d, currentStatus(p.d))) p.cleanup();
}

/** rolloutRecreate: old sets to 0; once none of their pods is left, the new set at full size. */
function planRecreate(p: Planner): void {
  p.newReplicaSet(false);
  let scaledDown = false;
  for (const rs of p.oldRSs.filter((s) => specReplicas(s) > 0)) if (p.scale(rs, 0)) scaledDown = true;
  const withPods = new Set(p.facts.replicaSetsWithPods);
  const oldPodsRunning = p.oldRSs.some((rs) => statusNumber(rs, 'replicas') > 0 || withPods.has(rs.metadata?.uid ?? ''));
  if (scaledDown || oldPodsRunning) return;
  if (!p.newRS) p.newReplicaSet(true);
  p.scale(p.newRS as KubeObject, deploymentSpec(p.d).replicas);
  if (deploymentComplete(p.d, currentStatus(p.d))) p.cleanup();
}

/** The rollout by the Deployment's strategy (RollingUpdate or Recreate). */
export function planRollout(facts: DeploymentFacts): RolloutPlan {
  const p = new Planner(facts);
  p.pausedConditions();
  if (deploymentSpec(p.d).strategyType === 'Recreate') planRecreate(p);
  else planRolling(p);
  return p.plan();
}
