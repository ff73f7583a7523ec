/**
 * maxSurge / maxUnavailable as Kubernetes resolves them (pkg/controller/deployment/util:
 * ResolveFenceposts, MaxSurge, MaxUnavailable; apimachinery intstr.GetScaledValueFromIntOrPercent):
 * an int is taken as is; `"N%"` of the desired replicas rounds **up** for surge and **down** for
 * unavailable; when both resolve to 0 unavailable becomes 1 so a rollout can always move.
 */
import { deploymentSpec, type DeploymentSpec } from './objects.ts';
import type { KubeObject } from '../../api/object.ts';

/** A maxSurge/maxUnavailable value that is neither an int nor a `"N%"` string. */
export class InvalidIntOrPercentError extends Error {
  constructor(readonly field: string, readonly value: unknown) {
    super(`invalid value for IntOrString ${field}: ${JSON.stringify(value)} is not an integer or a percentage`);
    this.name = 'InvalidIntOrPercentError';
  }
}

/** `value` scaled against `total`: ints as is, `"N%"` of total rounded up or down. */
export function scaledValue(field: string, value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const m = /^(-?\d+)%$/.exec(value);
    if (m) {
      const scaled = (Number(m[1]) * total) / 100;
      return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
    }
  }
  throw new InvalidIntOrPercentError(field, value);
}

export interface Fenceposts {
  surge: number;
  unavailable: number;
}

/** Kubernetes' ResolveFenceposts: absent values count as 0; both 0 → unavailable 1. */
export function resolveFenceposts(maxSurge: unknown, maxUnavailable: unknown, desired: number): Fenceposts {
  const surge = scaledValue('maxSurge', maxSurge ?? 0, desired, true);
  let unavailable = scaledValue('maxUnavailable', maxUnavailable ?? 0, desired, false);
  // Validation forbids 0/0 written literally, but rounding down can still produce it.
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

function rollingFenceposts(spec: DeploymentSpec): Fenceposts | undefined {
  if (spec.strategyType !== 'RollingUpdate') return undefined;
  return resolveFenceposts(spec.maxSurge, spec.maxUnavailable, spec.replicas);
}

/** Pods allowed above spec.replicas (0 for Recreate). */
export function maxSurge(d: KubeObject): number {
  return rollingFenceposts(deploymentSpec(d))?.surge ?? 0;
}

/** Pods allowed to be unavailable below spec.replicas (0 for Recreate or 0 replicas; never above replicas). */
export function maxUnavailable(d: KubeObject): number {
  const spec = deploymentSpec(d);
  const f = rollingFenceposts(spec);
  if (!f || spec.replicas === 0) return 0;
  return Math.min(f.unavailable, spec.replicas);
}
