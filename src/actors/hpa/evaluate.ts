/**
 * One HPA evaluation, pure (Kubernetes' reconcileAutoscaler minus the I/O): from the target's
 * current replicas and each metric's pod samples to the desired replicas, the rescale reason,
 * the conditions and the recommendations to keep.
 */
import type { HpaSpec, ResourceTarget } from './hpa-spec.ts';
import { normalizeReplicas, type Condition, type Recommendation } from './normalize.ts';
import { metricReplicas, type MetricProposal, type PodResourceSample } from './replica-calculator.ts';
import type { ConditionType } from './status.ts';
import { errorMessage } from '../../api/error-message.ts';

export interface Evaluation {
  currentReplicas: number;
  desiredReplicas: number;
  /** Why the size changes (the SuccessfulRescale message); undefined when it does not. */
  rescaleReason?: string;
  metrics: { target: ResourceTarget; proposal: MetricProposal }[];
  conditions: Partial<Record<ConditionType, Condition>>;
  recommendations: Recommendation[];
  /** Set when no replica count could be computed (ScalingActive False): nothing is scaled. */
  failure?: { reason: string; message: string };
}

/** `cpu resource utilization (percentage of request)` / `memory resource`: how Kubernetes names a metric in messages. */
export function metricName(t: ResourceTarget): string {
  return t.type === 'Utilization' ? `${t.resource} resource utilization (percentage of request)` : `${t.resource} resource`;
}

export interface EvaluateInput {
  spec: HpaSpec;
  currentReplicas: number;
  samples(target: ResourceTarget): PodResourceSample[];
  recommendations: readonly Recommendation[];
  now: number;
}

export function evaluate(input: EvaluateInput): Evaluation {
  const { spec, currentReplicas } = input;
  const base = { currentReplicas, metrics: [], recommendations: [...input.recommendations] };
  if (currentReplicas === 0 && spec.minReplicas !== 0) {
    return { ...base, desiredReplicas: 0, conditions: { AbleToScale: ready(), ScalingActive: { status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' } } };
  }
  if (currentReplicas > spec.maxReplicas || currentReplicas < spec.minReplicas) {
    const above = currentReplicas > spec.maxReplicas;
    const desiredReplicas = above ? spec.maxReplicas : spec.minReplicas;
    return {
      ...base,
      desiredReplicas,
      rescaleReason: above ? 'Current number of replicas above Spec.MaxReplicas' : 'Current number of replicas below Spec.MinReplicas',
      conditions: {
        AbleToScale: ready(),
        ScalingLimited: above
          ? { status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' }
          : { status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' },
      },
    };
  }

  const metrics: Evaluation['metrics'] = [];
  const errors = spec.unsupported.map((u) => `metric ${u} is not supported by kactus`);
  for (const target of spec.metrics) {
    try {
      metrics.push({ target, proposal: metricReplicas(currentReplicas, target, input.samples(target)) });
    } catch (err) {
      errors.push(`failed to get ${target.resource} utilization: ${errorMessage(err)}`);
    }
  }
  let best: (typeof metrics)[number] | undefined;
  for (const m of metrics) if (!best || m.proposal.replicas > best.proposal.replicas) best = m;
  // Kubernetes: all metrics invalid, or some invalid while the valid ones would scale down -> do nothing.
  if (!best || (errors.length > 0 && best.proposal.replicas < currentReplicas)) {
    const message = `the HPA was unable to compute the replica count: ${errors.join('; ') || 'no metrics'}`;
    return { ...base, metrics, desiredReplicas: currentReplicas, failure: { reason: 'FailedGetResourceMetric', message }, conditions: { AbleToScale: ready(), ScalingActive: { status: 'False', reason: 'FailedGetResourceMetric', message } } };
  }

  const n = normalizeReplicas({
    currentReplicas,
    proposed: best.proposal.replicas,
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    scaleUpStabilizationSeconds: spec.scaleUpStabilizationSeconds,
    scaleDownStabilizationSeconds: spec.scaleDownStabilizationSeconds,
    recommendations: input.recommendations,
    now: input.now,
  });
  const out: Evaluation = {
    currentReplicas,
    desiredReplicas: n.desiredReplicas,
    metrics,
    recommendations: n.recommendations,
    conditions: {
      AbleToScale: n.ableToScale,
      ScalingActive: { status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${metricName(best.target)}` },
      ScalingLimited: n.scalingLimited,
    },
  };
  if (n.desiredReplicas > currentReplicas) out.rescaleReason = `${metricName(best.target)} above target`;
  if (n.desiredReplicas < currentReplicas) out.rescaleReason = 'All metrics below target';
  return out;
}

function ready(): Condition {
  return { status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
}

/** The evaluation when the target's /scale could not be read (AbleToScale False, FailedGetScale): nothing is scaled. */
export function unreadableTarget(error: string, recommendations: readonly Recommendation[]): Evaluation {
  const message = `the HPA controller was unable to get the target's current scale: ${error}`;
  return {
    currentReplicas: 0,
    desiredReplicas: 0,
    metrics: [],
    recommendations: [...recommendations],
    conditions: { AbleToScale: { status: 'False', reason: 'FailedGetScale', message } },
    failure: { reason: 'FailedGetScale', message },
  };
}
