/**
 * The Deployment's status as Kubernetes computes it (sync.go calculateStatus, progress.go
 * syncRolloutStatus, util: DeploymentComplete, DeploymentProgressing, DeploymentTimedOut,
 * SetDeploymentCondition). Pure: the clock arrives as `now` (epoch ms). `kubectl rollout status`
 * reads exactly these fields.
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { maxUnavailable } from './fenceposts.ts';
import { deploymentSpec, statusNumber, specReplicas } from './objects.ts';

/** Reasons of the Progressing and Available conditions (util/deployment_util.go). */
export const REASONS = {
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  failedCreate: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

export interface DeploymentStatus {
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
  collisionCount?: number;
  conditions: DeploymentCondition[];
}

function asCondition(c: JsonObject): DeploymentCondition {
  const s = c.status === 'True' || c.status === 'False' ? c.status : 'Unknown';
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { type: str(c.type), status: s, reason: str(c.reason), message: str(c.message), lastUpdateTime: str(c.lastUpdateTime), lastTransitionTime: str(c.lastTransitionTime) };
}

/** The Deployment's stored status, typed. */
export function currentStatus(d: KubeObject): DeploymentStatus {
  const status = isRecord(d.status) ? d.status : {};
  const out: DeploymentStatus = {
    observedGeneration: statusNumber(d, 'observedGeneration'),
    replicas: statusNumber(d, 'replicas'),
    updatedReplicas: statusNumber(d, 'updatedReplicas'),
    readyReplicas: statusNumber(d, 'readyReplicas'),
    availableReplicas: statusNumber(d, 'availableReplicas'),
    unavailableReplicas: statusNumber(d, 'unavailableReplicas'),
    conditions: recordList(status, 'conditions').map(asCondition),
  };
  if (typeof status.collisionCount === 'number') out.collisionCount = status.collisionCount;
  return out;
}

export function getCondition(status: DeploymentStatus, type: string): DeploymentCondition | undefined {
  return status.conditions.find((c) => c.type === type);
}

export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, now: number): DeploymentCondition {
  const t = toKubernetesTime(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/**
 * util.SetDeploymentCondition: same status and reason → unchanged; same status → keeps
 * lastTransitionTime; the condition moves to the end of the list.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...status.conditions.filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

const sumOf = (sets: readonly KubeObject[], f: (rs: KubeObject) => number): number => sets.reduce((n, rs) => n + f(rs), 0);

/** sync.go calculateStatus: counts from the ReplicaSets, Available from minimum availability. */
export function calculateStatus(d: KubeObject, all: readonly KubeObject[], newRS: KubeObject | undefined, now: number): DeploymentStatus {
  const available = sumOf(all, (rs) => statusNumber(rs, 'availableReplicas'));
  const total = sumOf(all, specReplicas);
  const previous = currentStatus(d);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: sumOf(all, (rs) => statusNumber(rs, 'replicas')),
    updatedReplicas: newRS ? statusNumber(newRS, 'replicas') : 0,
    readyReplicas: sumOf(all, (rs) => statusNumber(rs, 'readyReplicas')),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    conditions: previous.conditions.map((c) => ({ ...c })),
  };
  if (previous.collisionCount !== undefined) status.collisionCount = previous.collisionCount;
  const { replicas } = deploymentSpec(d);
  if (available >= replicas - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', REASONS.minimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', REASONS.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** util.DeploymentComplete: every replica updated, no old ones, all available, this generation seen. */
export function deploymentComplete(d: KubeObject, s: DeploymentStatus): boolean {
  const { replicas } = deploymentSpec(d);
  return s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas && s.observedGeneration >= (d.metadata?.generation ?? 0);
}

/** util.DeploymentProgressing: more updated/ready/available pods, or fewer old ones, than last written. */
export function deploymentProgressing(d: KubeObject, s: DeploymentStatus): boolean {
  const old = currentStatus(d);
  return (
    s.updatedReplicas > old.updatedReplicas ||
    s.replicas - s.updatedReplicas < old.replicas - old.updatedReplicas ||
    s.readyReplicas > old.readyReplicas ||
    s.availableReplicas > old.availableReplicas
  );
}

/** util.DeploymentTimedOut: no progress recorded for progressDeadlineSeconds. */
export function deploymentTimedOut(d: KubeObject, s: DeploymentStatus, now: number): boolean {
  const deadline = deploymentSpec(d).progressDeadlineSeconds;
  const cond = getCondition(s, 'Progressing');
  if (deadline === undefined || !cond || cond.reason === REASONS.newReplicaSetAvailable) return false;
  if (cond.reason === REASONS.progressDeadlineExceeded) return true;
  return Date.parse(cond.lastUpdateTime) + deadline * 1000 < now;
}

/**
 * progress.go syncRolloutStatus, split by the outcome the Deployment's machine chose (its
 * `complete`, `progressing.*` and `failed` states each write one of these). Common part: the
 * counts, no Progressing condition without a deadline, and a rollout already marked complete
 * with every replica updated keeps its condition.
 */
function rolloutStatusBase(d: KubeObject, all: readonly KubeObject[], newRS: KubeObject | undefined, now: number): { status: DeploymentStatus; settled: boolean; subject: string } {
  const status = calculateStatus(d, all, newRS, now);
  const deadline = deploymentSpec(d).progressDeadlineSeconds;
  if (deadline === undefined) removeCondition(status, 'Progressing');
  const current = getCondition(currentStatus(d), 'Progressing');
  const alreadyComplete = status.replicas === status.updatedReplicas && current?.reason === REASONS.newReplicaSetAvailable;
  const subject = newRS ? `ReplicaSet "${newRS.metadata?.name ?? ''}"` : `Deployment "${d.metadata?.name ?? ''}"`;
  return { status, settled: deadline === undefined || alreadyComplete, subject };
}

/** The rollout is complete: Progressing=True NewReplicaSetAvailable. */
export function completeStatus(d: KubeObject, all: readonly KubeObject[], newRS: KubeObject | undefined, now: number): DeploymentStatus {
  const { status, settled, subject } = rolloutStatusBase(d, all, newRS, now);
  if (!settled) setCondition(status, newCondition('Progressing', 'True', REASONS.newReplicaSetAvailable, `${subject} has successfully progressed.`, now));
  return status;
}

/** The rollout goes on: when it progressed, Progressing=True ReplicaSetUpdated with lastUpdateTime renewed; else as it was. */
export function progressingStatus(d: KubeObject, all: readonly KubeObject[], newRS: KubeObject | undefined, now: number): DeploymentStatus {
  const { status, settled, subject } = rolloutStatusBase(d, all, newRS, now);
  if (settled || !deploymentProgressing(d, status)) return status;
  // Progress renews lastUpdateTime even with the same reason (why it bypasses setCondition).
  const current = getCondition(currentStatus(d), 'Progressing');
  const cond = newCondition('Progressing', 'True', REASONS.replicaSetUpdated, `${subject} is progressing.`, now);
  if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
  removeCondition(status, 'Progressing');
  status.conditions.push(cond);
  return status;
}

/** No progress for progressDeadlineSeconds: Progressing=False ProgressDeadlineExceeded. */
export function deadlineExceededStatus(d: KubeObject, all: readonly KubeObject[], newRS: KubeObject | undefined, now: number): DeploymentStatus {
  const { status, settled, subject } = rolloutStatusBase(d, all, newRS, now);
  if (!settled) setCondition(status, newCondition('Progressing', 'False', REASONS.progressDeadlineExceeded, `${subject} has timed out progressing.`, now));
  return status;
}

/**
 * requeueStuckDeployment: ms until the deadline would pass with no progress, so the controller
 * looks again then; undefined when nothing can time out.
 */
export function msUntilDeadline(d: KubeObject, s: DeploymentStatus, now: number): number | undefined {
  const deadline = deploymentSpec(d).progressDeadlineSeconds;
  const cond = getCondition(currentStatus(d), 'Progressing');
  if (deadline === undefined || !cond || deploymentComplete(d, s)) return undefined;
  // A finished or failed rollout cannot time out (deploymentTimedOut says no for both).
  if (cond.reason === REASONS.progressDeadlineExceeded || cond.reason === REASONS.newReplicaSetAvailable) return undefined;
  return Math.max(0, Date.parse(cond.lastUpdateTime) + deadline * 1000 - now);
}

/** Status as stored (plain JSON), for comparing with and writing over the current one. */
export function statusJson(s: DeploymentStatus): JsonObject {
  return JSON.parse(JSON.stringify(s)) as JsonObject;
}
