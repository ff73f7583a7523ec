/**
 * The autoscaling/v2 status an evaluation writes: replicas, currentMetrics, the three
 * conditions (a condition's lastTransitionTime only moves when its status does) and
 * lastScaleTime. Pure.
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { formatCpu, formatMemory } from '../../metrics/quantity-format.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import type { ResourceTarget } from './hpa-spec.ts';
import type { Condition } from './normalize.ts';
import type { MetricProposal } from './replica-calculator.ts';

export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

export interface HpaStatusInput {
  currentReplicas: number;
  desiredReplicas: number;
  metrics: { target: ResourceTarget; proposal: MetricProposal }[];
  conditions: Partial<Record<ConditionType, Condition>>;
  /** Epoch ms of a rescale this evaluation made. */
  rescaledAt?: number;
  now: number;
}

/** A metric's current value, as Kubernetes reports it (cpu in millicores). */
export function currentMetric(target: ResourceTarget, proposal: MetricProposal): JsonObject {
  const averageValue = target.resource === 'cpu' ? formatCpu(Math.round(proposal.averageValue * 1000) * 1e6) : formatMemory(proposal.averageValue);
  const current: JsonObject = { averageValue };
  if (proposal.averageUtilization !== undefined) current.averageUtilization = proposal.averageUtilization;
  return { type: 'Resource', resource: { name: target.resource, current } };
}

export function hpaStatus(hpa: KubeObject, input: HpaStatusInput): JsonObject {
  const old = isRecord(hpa.status) ? hpa.status : {};
  const oldConditions = recordList(old, 'conditions');
  const conditions = (['AbleToScale', 'ScalingActive', 'ScalingLimited'] as const).flatMap((type) => {
    const c = input.conditions[type];
    const previous = oldConditions.find((o) => o.type === type);
    if (!c) return previous ? [previous] : [];
    const lastTransitionTime = previous?.status === c.status && typeof previous.lastTransitionTime === 'string' ? previous.lastTransitionTime : toKubernetesTime(input.now);
    return [{ type, status: c.status, lastTransitionTime, reason: c.reason, message: c.message }];
  });
  const status: JsonObject = { currentReplicas: input.currentReplicas, desiredReplicas: input.desiredReplicas };
  if (typeof hpa.metadata?.generation === 'number') status.observedGeneration = hpa.metadata.generation;
  if (input.metrics.length > 0) status.currentMetrics = input.metrics.map((m) => currentMetric(m.target, m.proposal));
  const lastScaleTime = input.rescaledAt !== undefined ? toKubernetesTime(input.rescaledAt) : old.lastScaleTime;
  if (lastScaleTime !== undefined) status.lastScaleTime = lastScaleTime;
  status.conditions = conditions;
  return status;
}
