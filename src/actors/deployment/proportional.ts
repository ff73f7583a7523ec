/**
 * What happens when spec.replicas changes mid-rollout (Kubernetes' sync.go `scale` and
 * util.GetProportion): a lone active set takes the whole count; a saturated new set retires the
 * old ones; otherwise every active set grows or shrinks in proportion to its share, recorded in
 * its max-replicas annotation when it was last scaled. Pure, on counts.
 */
import type { ReplicaCounts } from './rolling.ts';

export interface ProportionalSet extends ReplicaCounts {
  /** The max-replicas annotation (replicas + surge when last scaled); undefined when absent. */
  maxReplicasAnnotation: number | undefined;
  /** The desired-replicas annotation; undefined when absent. */
  desiredAnnotation: number | undefined;
}

export interface ScaleInput {
  replicas: number;
  surge: number;
  rollingUpdate: boolean;
  /** The Deployment's status.replicas (fallback share when an annotation is missing). */
  statusReplicas: number;
  newRS: ProportionalSet | undefined;
  oldRSs: readonly ProportionalSet[];
}

/** A set's target size (its annotations are refreshed too, even when the size stays). */
export interface ScaleTarget {
  name: string;
  to: number;
}

const newestFirst = (a: ReplicaCounts, b: ReplicaCounts): number => b.createdMs - a.createdMs || b.name.localeCompare(a.name);
const active = (sets: readonly (ProportionalSet | undefined)[]): ProportionalSet[] => sets.filter((r): r is ProportionalSet => r !== undefined && r.replicas > 0);

/** util.FindActiveOrLatest: the only active set, the newest when none is active, else undefined. */
function activeOrLatest(newRS: ProportionalSet | undefined, oldRSs: readonly ProportionalSet[]): ProportionalSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const sortedOld = [...oldRSs].sort(newestFirst);
  const live = active([...sortedOld, newRS]);
  if (live.length === 1) return live[0];
  if (live.length === 0) return newRS ?? sortedOld[0];
  return undefined;
}

/** util.IsSaturated: the new set has all replicas, annotated for this size, all available. */
function saturated(input: ScaleInput): boolean {
  const rs = input.newRS;
  return rs !== undefined && rs.replicas === input.replicas && rs.desiredAnnotation === input.replicas && rs.available === input.replicas;
}

/** getReplicaSetFraction: the change this set's share of the new maximum asks for. */
function fraction(rs: ProportionalSet, input: ScaleInput): number {
  if (input.replicas === 0) return -rs.replicas;
  const maxNow = input.replicas + input.surge;
  let maxBefore = rs.maxReplicasAnnotation ?? 0;
  if (maxBefore === 0) maxBefore = input.statusReplicas;
  if (maxBefore === 0) return 0;
  return roundHalfAwayFromZero((rs.replicas * maxNow) / maxBefore) - rs.replicas;
}

/** Go's math.Round, which integer.RoundToInt32 uses. */
function roundHalfAwayFromZero(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** The sets to resize, or [] when the scale is already right. */
export function proportionalScale(input: ScaleInput): ScaleTarget[] {
  const lone = activeOrLatest(input.newRS, input.oldRSs);
  if (lone) return lone.replicas === input.replicas ? [] : [{ name: lone.name, to: input.replicas }];
  if (saturated(input)) return active(input.oldRSs).map((rs) => ({ name: rs.name, to: 0 }));
  if (!input.rollingUpdate) return [];

  const sets = active([...input.oldRSs, input.newRS]);
  const total = sets.reduce((n, r) => n + r.replicas, 0);
  const allowed = input.replicas > 0 ? input.replicas + input.surge : 0;
  const toAdd = allowed - total;
  // Larger sets first; on ties newer sets grow first and older sets shrink first.
  if (toAdd > 0) sets.sort((a, b) => b.replicas - a.replicas || newestFirst(a, b));
  else if (toAdd < 0) sets.sort((a, b) => b.replicas - a.replicas || newestFirst(b, a));

  let added = 0;
  const sizes = sets.map((rs) => {
    if (toAdd === 0 || rs.replicas === 0 || toAdd === added) return rs.replicas;
    const f = fraction(rs, input);
    const left = toAdd - added;
    const proportion = toAdd > 0 ? Math.min(f, left) : Math.max(f, left);
    added += proportion;
    return rs.replicas + proportion;
  });
  // Leftovers of rounding go to the largest set.
  if (sets.length > 0 && toAdd !== 0) sizes[0] = Math.max(0, sizes[0] + toAdd - added);
  return sets.map((rs, i) => ({ name: rs.name, to: sizes[i] }));
}
