/**
 * The rolling-update arithmetic of Kubernetes' deployment controller (rolling.go:
 * reconcileNewReplicaSet, reconcileOldReplicaSets, cleanupUnhealthyReplicas,
 * scaleDownOldReplicaSetsForRollingUpdate; util.NewRSNewReplicas), on plain counts so it is
 * tested table-driven. Scale-ups keep total pods ≤ replicas + maxSurge; scale-downs keep
 * available pods ≥ replicas − maxUnavailable.
 */

/** What the arithmetic needs of one ReplicaSet. */
export interface ReplicaCounts {
  name: string;
  /** spec.replicas */
  replicas: number;
  /** status.availableReplicas */
  available: number;
  /** creation time (epoch ms): older sets are scaled down first. */
  createdMs: number;
}

/** What it needs of the Deployment: spec.replicas and the resolved fenceposts. */
export interface RolloutLimits {
  replicas: number;
  surge: number;
  unavailable: number;
}

/** One ReplicaSet resized. */
export interface ScaleStep {
  name: string;
  from: number;
  to: number;
}

const sum = (sets: readonly ReplicaCounts[], f: (r: ReplicaCounts) => number): number => sets.reduce((n, r) => n + f(r), 0);
const oldestFirst = (a: ReplicaCounts, b: ReplicaCounts): number => a.createdMs - b.createdMs || a.name.localeCompare(b.name);

/** util.NewRSNewReplicas for RollingUpdate: the new set grows by what the surge allows, up to replicas. */
export function newReplicaSetReplicas(limits: RolloutLimits, all: readonly ReplicaCounts[], newRS: ReplicaCounts): number {
  const current = sum(all, (r) => r.replicas);
  const maxTotal = limits.replicas + limits.surge;
  if (current >= maxTotal) return newRS.replicas;
  const scaleUp = Math.min(maxTotal - current, limits.replicas - newRS.replicas);
  return newRS.replicas + scaleUp;
}

/** reconcileNewReplicaSet: the new set's target size, or undefined when it stays as it is. */
export function reconcileNewReplicaSet(limits: RolloutLimits, all: readonly ReplicaCounts[], newRS: ReplicaCounts): number | undefined {
  if (newRS.replicas === limits.replicas) return undefined;
  if (newRS.replicas > limits.replicas) return limits.replicas;
  const target = newReplicaSetReplicas(limits, all, newRS);
  return target === newRS.replicas ? undefined : target;
}

/**
 * reconcileOldReplicaSets: first remove unavailable pods of old sets (they cost no
 * availability), then scale old sets down by what availability above the minimum allows.
 * `old` are the active old sets (spec.replicas > 0). Returns the resizes in order.
 */
export function reconcileOldReplicaSets(limits: RolloutLimits, all: readonly ReplicaCounts[], old: readonly ReplicaCounts[], newRS: ReplicaCounts): ScaleStep[] {
  if (sum(old, (r) => r.replicas) === 0) return [];
  const minAvailable = limits.replicas - limits.unavailable;
  // Unavailable pods of the new set count against what may be scaled down, so a crash-looping
  // new set never lets old sets shrink below the minimum (kubernetes#16737 discussion in rolling.go).
  const newUnavailable = newRS.replicas - newRS.available;
  const maxScaledDown = sum(all, (r) => r.replicas) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];

  const steps: ScaleStep[] = [];
  const sizes = new Map(old.map((r) => [r.name, r.replicas]));
  const sorted = [...old].sort(oldestFirst);

  // cleanupUnhealthyReplicas
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    if (rs.replicas === 0 || rs.replicas === rs.available) continue;
    const down = Math.min(maxScaledDown - cleaned, rs.replicas - rs.available);
    steps.push({ name: rs.name, from: rs.replicas, to: rs.replicas - down });
    sizes.set(rs.name, rs.replicas - down);
    cleaned += down;
  }

  // scaleDownOldReplicaSetsForRollingUpdate: availability comes from status, unchanged by the cleanup.
  const available = sum(all, (r) => r.available);
  if (available <= minAvailable) return steps;
  const toScaleDown = available - minAvailable;
  let scaledDown = 0;
  for (const rs of sorted) {
    if (scaledDown >= toScaleDown) break;
    const size = sizes.get(rs.name) ?? 0;
    if (size === 0) continue;
    const down = Math.min(size, toScaleDown - scaledDown);
    steps.push({ name: rs.name, from: size, to: size - down });
    sizes.set(rs.name, size - down);
    scaledDown += down;
  }
  return steps;
}
