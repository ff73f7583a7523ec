/**
 * NodeAffinity (kube-scheduler's plugin of that name).
 *
 * Filter: the node's labels hold every `spec.nodeSelector` pair, and the node satisfies
 * `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution` — its
 * nodeSelectorTerms ORed, each term's matchExpressions (In, NotIn, Exists, DoesNotExist, Gt, Lt)
 * and matchFields (`metadata.name`) ANDed (src/api/node-selector.ts). Failure:
 * `node(s) didn't match Pod's node affinity/selector`, which evicting pods cannot fix.
 *
 * Score: the sum of the weights of the `preferredDuringSchedulingIgnoredDuringExecution` terms
 * the node matches, normalized so the best node scores 100 (DefaultNormalizeScore); weight 2 in
 * the default profile.
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { nodeSelectorMatches } from '../../api/node-selector.ts';
import type { FilterPlugin, PodInfo, ScorePlugin } from '../types.ts';
import { defaultNormalizeScore } from './normalize.ts';

export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

const nodeAffinityOf = (pod: KubeObject): JsonObject | undefined => {
  const affinity = isRecord(pod.spec) && isRecord(pod.spec.affinity) ? pod.spec.affinity : undefined;
  return affinity && isRecord(affinity.nodeAffinity) ? affinity.nodeAffinity : undefined;
};

const nodeSelectorOf = (pod: KubeObject): Record<string, unknown> | undefined => (isRecord(pod.spec) && isRecord(pod.spec.nodeSelector) ? pod.spec.nodeSelector : undefined);

const requiredOf = (pod: KubeObject): JsonObject | undefined => {
  const required = nodeAffinityOf(pod)?.requiredDuringSchedulingIgnoredDuringExecution;
  return isRecord(required) ? required : undefined;
};

/** GetRequiredNodeAffinity(pod).Match(node): nodeSelector and required node affinity (PodTopologySpread's nodeAffinityPolicy reads it too). */
export function requiredNodeAffinityMatches(pod: KubeObject, node: KubeObject): boolean {
  const selector = nodeSelectorOf(pod);
  if (selector) {
    const labels = node.metadata?.labels ?? {};
    for (const k in selector) if (labels[k] !== selector[k]) return false;
  }
  const required = requiredOf(pod);
  return !required || nodeSelectorMatches(required, node);
}

export const nodeAffinity: FilterPlugin = {
  name: 'NodeAffinity',
  skips: (pod) => !nodeSelectorOf(pod.pod) && !requiredOf(pod.pod),
  filter(pod, node) {
    return requiredNodeAffinityMatches(pod.pod, node.node) ? undefined : { reasons: [ERR_NODE_AFFINITY], unresolvable: true };
  },
};

interface Preferred {
  weight: number;
  term: JsonObject;
}

const preferredOf = (pod: PodInfo): Preferred[] => {
  const cached = pod.cycle.get('NodeAffinity/preferred') as Preferred[] | undefined;
  if (cached) return cached;
  const terms = recordList(nodeAffinityOf(pod.pod), 'preferredDuringSchedulingIgnoredDuringExecution').flatMap((t) =>
    typeof t.weight === 'number' && t.weight !== 0 && isRecord(t.preference) ? [{ weight: t.weight, term: t.preference }] : [],
  );
  pod.cycle.set('NodeAffinity/preferred', terms);
  return terms;
};

export const nodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  skips: (pod) => preferredOf(pod).length === 0,
  score(pod, node) {
    let sum = 0;
    for (const { weight, term } of preferredOf(pod)) if (nodeSelectorMatches({ nodeSelectorTerms: [term] }, node.node)) sum += weight;
    return sum;
  },
  normalize: (_pod, scores) => defaultNormalizeScore(scores, false),
};
