/**
 * PodTopologySpread's PreScore, Score and NormalizeScore (kube-scheduler's plugin of that name):
 * the pod's `whenUnsatisfiable: ScheduleAnyway` constraints. Among the nodes that passed the
 * filters, those missing a constraint's key are ignored (score 0); for the others a constraint
 * adds `count × log(domains + 2) + (maxSkew − 1)`, the count being the matching pods in the node's
 * domain over every eligible node (for `kubernetes.io/hostname`, the node's own). Fewer is better:
 * normalized as `100 × (max + min − score) / max`. Weight 2 in the default profile.
 * (kube-scheduler's system default constraints for pods without any are not applied.)
 */
import type { ClusterView, NodeInfo, PodInfo, ScorePlugin } from '../types.ts';
import { MAX_NODE_SCORE } from './normalize.ts';
import { hasAllKeys, nodeIncluded, spreadConstraintsOf, type SpreadConstraint } from './pod-topology-spread.ts';

const HOSTNAME = 'kubernetes.io/hostname';
const KEY = 'PodTopologySpread/score';

interface State {
  constraints: SpreadConstraint[];
  ignored: Set<string>;
  /** Per constraint: topology value → matching pods (values of the scored nodes only). */
  counts: Map<string, number>[];
  /** Per constraint: log(domains + 2). */
  weights: number[];
  /** Per constraint: node name → matching pods on it (the cache's counts). */
  perNode: ReadonlyMap<string, number>[];
}

const softConstraints = (pod: PodInfo): SpreadConstraint[] => spreadConstraintsOf(pod).filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');

function preScore(pod: PodInfo, feasible: readonly NodeInfo[], cluster: ClusterView): State {
  const constraints = softConstraints(pod);
  const state: State = { constraints, ignored: new Set(), counts: constraints.map(() => new Map()), weights: [], perNode: constraints.map((c) => cluster.podCounts(c.selection)) };
  const sizes = constraints.map(() => 0);
  for (const node of feasible) {
    const labels = node.node.metadata?.labels ?? {};
    if (!hasAllKeys(labels, constraints)) {
      state.ignored.add(node.name);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey === HOSTNAME) return;
      const counts = state.counts[i] as Map<string, number>;
      const value = labels[c.topologyKey] as string;
      if (!counts.has(value)) {
        counts.set(value, 0);
        sizes[i] = (sizes[i] as number) + 1;
      }
    });
  }
  state.weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? feasible.length - state.ignored.size : (sizes[i] as number)) + 2));
  if (constraints.some((c) => c.topologyKey !== HOSTNAME)) {
    for (const node of cluster.nodeInfos()) {
      const labels = node.node.metadata?.labels ?? {};
      if (!hasAllKeys(labels, constraints)) continue;
      constraints.forEach((c, i) => {
        if (c.topologyKey === HOSTNAME || !nodeIncluded(c, pod, node)) return;
        const counts = state.counts[i] as Map<string, number>;
        const value = labels[c.topologyKey] as string;
        const n = (state.perNode[i] as ReadonlyMap<string, number>).get(node.name) ?? 0;
        if (counts.has(value) && n > 0) counts.set(value, (counts.get(value) as number) + n);
      });
    }
  }
  return state;
}

export const podTopologySpreadScore: ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  skips: (pod) => softConstraints(pod).length === 0,
  preScore(pod, feasible, cluster) {
    pod.cycle.set(KEY, preScore(pod, feasible, cluster));
  },
  score(pod, node) {
    const state = pod.cycle.get(KEY) as State | undefined;
    if (!state || state.ignored.has(node.name)) return 0;
    const labels = node.node.metadata?.labels ?? {};
    let score = 0;
    state.constraints.forEach((c, i) => {
      const value = labels[c.topologyKey];
      if (value === undefined) return;
      const count = c.topologyKey === HOSTNAME ? ((state.perNode[i] as ReadonlyMap<string, number>).get(node.name) ?? 0) : ((state.counts[i] as Map<string, number>).get(value) ?? 0);
      score += count * (state.weights[i] as number) + (c.maxSkew - 1);
    });
    return Math.round(score);
  },
  normalize(pod, scores, nodes) {
    const state = pod.cycle.get(KEY) as State | undefined;
    if (!state) return;
    let min = Infinity;
    let max = 0;
    nodes.forEach((n, i) => {
      if (state.ignored.has(n.name)) return;
      min = Math.min(min, scores[i] as number);
      max = Math.max(max, scores[i] as number);
    });
    nodes.forEach((n, i) => {
      if (state.ignored.has(n.name)) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - (scores[i] as number))) / max);
    });
  },
};
