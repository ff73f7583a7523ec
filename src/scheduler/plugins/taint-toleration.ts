/**
 * TaintToleration's score (kube-scheduler's plugin of that name; its filter — NoSchedule and
 * NoExecute taints the pod does not tolerate — is NodeReady's, through the same `tolerates` rule
 * in ../taints.ts): a node scores by how many PreferNoSchedule taints the pod does not tolerate,
 * fewer is better. Only tolerations whose effect is PreferNoSchedule or empty count. Normalized
 * reversed (the node with the most such taints scores 0, nodes with none 100); weight 3 in the
 * default profile.
 */
import type { JsonObject } from '../../api/object.ts';
import { tolerates } from '../taints.ts';
import type { PodInfo, ScorePlugin } from '../types.ts';
import { defaultNormalizeScore } from './normalize.ts';

const preferNoScheduleTolerations = (pod: PodInfo): JsonObject[] => {
  const cached = pod.cycle.get('TaintToleration') as JsonObject[] | undefined;
  if (cached) return cached;
  const tolerations = pod.tolerations.filter((t) => t.effect === undefined || t.effect === '' || t.effect === 'PreferNoSchedule');
  pod.cycle.set('TaintToleration', tolerations);
  return tolerations;
};

export const taintToleration: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  score(pod, node) {
    const taints = node.facts.preferNoScheduleTaints;
    if (taints.length === 0) return 0;
    const tolerations = preferNoScheduleTolerations(pod);
    let intolerable = 0;
    for (const taint of taints) if (!tolerations.some((t) => tolerates(t, taint))) intolerable++;
    return intolerable;
  },
  normalize: (_pod, scores) => defaultNormalizeScore(scores, true),
};
