/**
 * From the metrics' proposal to the replica count written (Kubernetes'
 * normalizeDesiredReplicasWithBehaviors): stabilization first — scaling down follows the
 * highest recommendation of the scale-down window (default 300 s), scaling up the lowest of the
 * scale-up window (default 0 s) — then the rate limit and the min/max bounds.
 *
 * The rate limit is Kubernetes' default scale-up behavior (Percent 100 and Pods 4 per 15 s,
 * selectPolicy Max) applied per evaluation: at most max(2 × current, current + 4). Custom
 * `behavior.scaleUp/scaleDown.policies` and `selectPolicy` are not applied (the default
 * scale-down policy, 100% per 15 s, never limits anyway).
 */

/** A past recommendation (epoch ms), kept per HPA in memory as Kubernetes does. */
export interface Recommendation {
  at: number;
  replicas: number;
}

export interface NormalizeInput {
  currentReplicas: number;
  /** What the metrics ask for. */
  proposed: number;
  minReplicas: number;
  maxReplicas: number;
  scaleUpStabilizationSeconds: number;
  scaleDownStabilizationSeconds: number;
  /** Earlier recommendations, oldest first. */
  recommendations: readonly Recommendation[];
  now: number;
}

export interface Condition {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface Normalized {
  desiredReplicas: number;
  /** The recommendations to keep (pruned to the longest window), this one appended. */
  recommendations: Recommendation[];
  ableToScale: Condition;
  scalingLimited: Condition;
}

export function normalizeReplicas(input: NormalizeInput): Normalized {
  const upCutoff = input.now - input.scaleUpStabilizationSeconds * 1000;
  const downCutoff = input.now - input.scaleDownStabilizationSeconds * 1000;
  let up = input.proposed;
  let down = input.proposed;
  for (const r of input.recommendations) {
    if (r.at > upCutoff) up = Math.min(up, r.replicas);
    if (r.at > downCutoff) down = Math.max(down, r.replicas);
  }
  let stabilized = input.currentReplicas;
  if (stabilized < up) stabilized = up;
  if (stabilized > down) stabilized = down;

  const keepAfter = Math.min(upCutoff, downCutoff);
  const recommendations = [...input.recommendations.filter((r) => r.at > keepAfter), { at: input.now, replicas: input.proposed }];

  let ableToScale: Condition = { status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
  if (stabilized < input.proposed) ableToScale = { status: 'True', reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' };
  if (stabilized > input.proposed) ableToScale = { status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };

  const scaleUpLimit = Math.max(2 * input.currentReplicas, input.currentReplicas + 4);
  let desiredReplicas = stabilized;
  let scalingLimited: Condition = { status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  if (desiredReplicas > input.maxReplicas) {
    desiredReplicas = input.maxReplicas;
    scalingLimited = { status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
  } else if (desiredReplicas > scaleUpLimit) {
    desiredReplicas = scaleUpLimit;
    scalingLimited = { status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
  }
  if (desiredReplicas < input.minReplicas) {
    desiredReplicas = input.minReplicas;
    scalingLimited = { status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  }
  return { desiredReplicas, recommendations, ableToScale, scalingLimited };
}
