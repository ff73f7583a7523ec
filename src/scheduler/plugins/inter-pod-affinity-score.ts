/**
 * InterPodAffinity's PreScore, Score and NormalizeScore (kube-scheduler's plugin of that name):
 * each topology pair gets
 * - + weight × matching placed pods for each preferred affinity term of the incoming pod,
 *   − weight × … for each preferred anti-affinity term (the cache's per-node counts);
 * - from the placed pods' side (symmetry, the cache's affinity groups): + 1 (hardPodAffinityWeight)
 *   per pod whose required affinity term matches the incoming pod, + weight per preferred
 *   affinity term matching it, − weight per preferred anti-affinity term matching it.
 * A node's score is the sum over its labels' pairs, normalized to 0–100 between the lowest and
 * the highest node; weight 2 in the default profile.
 */
import { pairKey, type AffinityTerm } from '../pod-affinity-terms.ts';
import type { ClusterView, NodeInfo, PodInfo, ScorePlugin } from '../types.ts';
import { MAX_NODE_SCORE } from './normalize.ts';
import { termsOfGroup, termsOfPod } from './inter-pod-affinity.ts';

/** kube-scheduler's default hardPodAffinityWeight. */
export const HARD_POD_AFFINITY_WEIGHT = 1;

const KEY = 'InterPodAffinity/score';

function preScore(pod: PodInfo, cluster: ClusterView): Map<string, number> {
  const scores = new Map<string, number>();
  const add = (term: AffinityTerm, nodeName: string, amount: number): void => {
    const value = cluster.nodeInfo(nodeName)?.node.metadata?.labels?.[term.topologyKey];
    if (value === undefined || amount === 0) return;
    const key = pairKey(term.topologyKey, value);
    scores.set(key, (scores.get(key) ?? 0) + amount);
  };
  const terms = termsOfPod(pod);
  for (const t of terms.preferredAffinity) for (const [nodeName, n] of cluster.podCounts(t.selection)) add(t, nodeName, t.weight * n);
  for (const t of terms.preferredAntiAffinity) for (const [nodeName, n] of cluster.podCounts(t.selection)) add(t, nodeName, -t.weight * n);
  const namespaceLabels = (ns: string) => cluster.namespaceLabels(ns);
  for (const group of cluster.affinityGroups()) {
    const g = termsOfGroup(group);
    const weighted = [
      ...g.requiredAffinity.map((t) => ({ term: t, weight: HARD_POD_AFFINITY_WEIGHT })),
      ...g.preferredAffinity.map((t) => ({ term: t, weight: t.weight })),
      ...g.preferredAntiAffinity.map((t) => ({ term: t, weight: -t.weight })),
    ].filter(({ term }) => term.selection.matches(pod.pod, namespaceLabels));
    if (weighted.length === 0) continue;
    for (const [nodeName, n] of group.perNode) for (const { term, weight } of weighted) add(term, nodeName, weight * n);
  }
  return scores;
}

export const interPodAffinityScore: ScorePlugin = {
  name: 'InterPodAffinity',
  weight: 2,
  preScore(pod, _feasible, cluster) {
    pod.cycle.set(KEY, preScore(pod, cluster));
  },
  score(pod, node: NodeInfo) {
    const scores = pod.cycle.get(KEY) as Map<string, number> | undefined;
    if (!scores || scores.size === 0) return 0;
    const labels = node.node.metadata?.labels ?? {};
    let sum = 0;
    for (const key in labels) sum += scores.get(pairKey(key, labels[key] as string)) ?? 0;
    return sum;
  },
  normalize(pod, scores) {
    const pairs = pod.cycle.get(KEY) as Map<string, number> | undefined;
    if (!pairs || pairs.size === 0) return;
    const min = Math.min(...scores);
    const diff = Math.max(...scores) - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * ((scores[i] as number) - min)) / diff) : 0;
  },
};
