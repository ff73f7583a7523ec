/**
 * Kubernetes' replica calculator (pkg/controller/podautoscaler/replica_calculator.go) for
 * Resource metrics, pure: from each pod's usage and request, the replica count one metric asks
 * for. The rules kept from Kubernetes:
 * - Failed and terminating pods are left out before this (the caller); Pending pods, and for cpu
 *   pods whose Ready condition is not True, are "unready"; pods without a sample are "missing".
 * - The usage ratio is taken over ready pods with a sample. Within 10% of the target nothing
 *   changes. With no missing pods (and no unready ones when scaling up) desired =
 *   ceil(ratio × ready pods).
 * - Otherwise missing pods are assumed at 100% of their request (or the target, if higher) when
 *   scaling down and at 0 when scaling up, unready pods at 0 when scaling up, and the ratio is
 *   recomputed over them all; if that flips the direction or lands within tolerance, nothing
 *   changes.
 * Simplified: Kubernetes also counts a Ready cpu pod as unready during its first 5 minutes
 * (cpu-initialization-period) when its readiness changed within 30 s of start; kactus does not.
 */
import type { ResourceName, ResourceTarget } from './hpa-spec.ts';

/** Kubernetes' --horizontal-pod-autoscaler-tolerance. */
export const TOLERANCE = 0.1;

/** One pod as the calculator sees it (for one resource). */
export interface PodResourceSample {
  name: string;
  /** Phase Pending. */
  pending: boolean;
  /** Ready condition True. */
  ready: boolean;
  /** Sum of the containers' requests (cores or bytes); undefined when a container has none. */
  request?: number;
  /** Sum of the containers' usage (cores or bytes); undefined when the pod has no sample. */
  usage?: number;
}

/** What one metric asks for, and the current value to report in status.currentMetrics. */
export interface MetricProposal {
  replicas: number;
  /** Average usage of the ready pods with a sample (cores or bytes). */
  averageValue: number;
  /** Average usage as a percentage of the request (Utilization targets only). */
  averageUtilization?: number;
}

/** The metric could not be evaluated (ScalingActive False, FailedGetResourceMetric). */
export class MetricUnavailableError extends Error {
  override readonly name = 'MetricUnavailableError';
}

/** A targeted pod has no request for the resource, so utilization cannot be computed. */
export class MissingRequestError extends Error {
  override readonly name = 'MissingRequestError';
  constructor(
    readonly resource: ResourceName,
    readonly pod: string,
  ) {
    super(`missing request for ${resource} in pod ${pod}`);
  }
}

interface Grouped {
  /** Usage by pod of ready pods with a sample. */
  ready: Map<string, number>;
  unready: PodResourceSample[];
  missing: PodResourceSample[];
}

function groupPods(pods: readonly PodResourceSample[], resource: ResourceName): Grouped {
  const out: Grouped = { ready: new Map(), unready: [], missing: [] };
  for (const p of pods) {
    if (p.pending) out.unready.push(p);
    else if (p.usage === undefined) out.missing.push(p);
    else if (resource === 'cpu' && !p.ready) out.unready.push(p);
    else out.ready.set(p.name, p.usage);
  }
  return out;
}

const sum = (values: Iterable<number>): number => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};

/** The replicas `target` asks for when `currentReplicas` run as `pods`. */
export function metricReplicas(currentReplicas: number, target: ResourceTarget, pods: readonly PodResourceSample[], tolerance = TOLERANCE): MetricProposal {
  if (pods.length === 0) throw new MetricUnavailableError('no pods returned by selector while calculating replica count');
  const requests = new Map<string, number>();
  if (target.type === 'Utilization') {
    for (const p of pods) {
      if (p.request === undefined || p.request <= 0) throw new MissingRequestError(target.resource, p.name);
      requests.set(p.name, p.request);
    }
  }
  const { ready, unready, missing } = groupPods(pods, target.resource);
  if (ready.size === 0) throw new MetricUnavailableError(`did not receive metrics for targeted pods (pods might be unready)`);

  // Usage ratio: how far the observed average is from the target (1 = on target).
  const ratioOf = (usage: Map<string, number>): number => {
    if (target.type === 'AverageValue') return sum(usage.values()) / usage.size / target.averageValue;
    const request = sum([...usage.keys()].map((n) => requests.get(n) ?? 0));
    return ((sum(usage.values()) / request) * 100) / target.averageUtilization;
  };
  const usageRatio = ratioOf(ready);
  const averageValue = sum(ready.values()) / ready.size;
  const proposal = (replicas: number): MetricProposal => {
    if (target.type === 'AverageValue') return { replicas, averageValue };
    const request = sum([...ready.keys()].map((n) => requests.get(n) ?? 0));
    return { replicas, averageValue, averageUtilization: Math.round((sum(ready.values()) / request) * 100) };
  };

  const scaleUpWithUnready = unready.length > 0 && usageRatio > 1;
  if (!scaleUpWithUnready && missing.length === 0) {
    if (Math.abs(1 - usageRatio) <= tolerance) return proposal(currentReplicas);
    return proposal(Math.ceil(usageRatio * ready.size));
  }

  const assumed = new Map(ready);
  for (const p of missing) {
    if (usageRatio > 1) assumed.set(p.name, 0);
    else if (usageRatio === 1) continue;
    else if (target.type === 'AverageValue') assumed.set(p.name, target.averageValue);
    else assumed.set(p.name, ((requests.get(p.name) ?? 0) * Math.max(100, target.averageUtilization)) / 100);
  }
  if (scaleUpWithUnready) for (const p of unready) assumed.set(p.name, 0);
  const newRatio = ratioOf(assumed);
  if (Math.abs(1 - newRatio) <= tolerance || (usageRatio < 1 && newRatio > 1) || (usageRatio > 1 && newRatio < 1)) return proposal(currentReplicas);
  const replicas = Math.ceil(newRatio * assumed.size);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return proposal(currentReplicas);
  return proposal(replicas);
}
