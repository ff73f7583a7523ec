/**
 * One scheduling decision, pure: run the filters on every node (a node fails at its first
 * failing filter, as kube-scheduler), score the nodes that fit, pick the best (ties: the first by
 * name, so decisions are reproducible). Failure is worded as kube-scheduler's FitError:
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were not ready.`
 */
import { interPodAffinity } from './plugins/inter-pod-affinity.ts';
import { interPodAffinityScore } from './plugins/inter-pod-affinity-score.ts';
import { leastAllocated } from './plugins/least-allocated.ts';
import { nodeAffinity, nodeAffinityScore } from './plugins/node-affinity.ts';
import { nodeName } from './plugins/node-name.ts';
import { nodePorts } from './plugins/node-ports.ts';
import { nodeReady } from './plugins/node-ready.ts';
import { nodeResourcesFit } from './plugins/node-resources-fit.ts';
import { podTopologySpread } from './plugins/pod-topology-spread.ts';
import { podTopologySpreadScore } from './plugins/pod-topology-spread-score.ts';
import { taintToleration } from './plugins/taint-toleration.ts';
import { volumeBinding } from './plugins/volume-binding.ts';
import { AffinityGroups } from './affinity-groups.ts';
import { nodeInfoWith } from './node-info-edit.ts';
import type { ClusterView, FilterFailure, FilterPlugin, NodeInfo, PodInfo, ScorePlugin } from './types.ts';

export interface Framework {
  filters: readonly FilterPlugin[];
  scores: readonly ScorePlugin[];
}

/** The default profile (`default-scheduler`). */
export const DEFAULT_FRAMEWORK: Framework = {
  filters: [nodeName, nodeReady, nodeAffinity, nodePorts, nodeResourcesFit, volumeBinding, podTopologySpread, interPodAffinity],
  scores: [leastAllocated, nodeAffinityScore, taintToleration, interPodAffinityScore, podTopologySpreadScore],
};

export type ScheduleResult = ({ nodeName: string } | { unschedulable: string; failures: ReadonlyMap<string, FilterFailure> }) & {
  /** Nodes the filters ran on (where the next decision starts looking, as kube-scheduler's nextStartNodeIndex). */
  evaluated: number;
};

/** kube-scheduler's minFeasibleNodesToFind: below this many nodes, every node is looked at. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** kube-scheduler's minFeasibleNodesPercentageToFind. */
const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

/**
 * kube-scheduler's numFeasibleNodesToFind with the adaptive percentage (percentageOfNodesToScore
 * unset): every node up to 100; then 50 % less 1 % per 125 nodes, at least 5 %, at least 100.
 * 5,000 nodes: 500 feasible nodes are enough to choose from.
 */
export function feasibleNodesToFind(nodeCount: number): number {
  if (nodeCount < MIN_FEASIBLE_NODES_TO_FIND) return nodeCount;
  const percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.floor(nodeCount / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((nodeCount * percentage) / 100));
}

export interface ScheduleOptions {
  /** Where to start in `nodes` (round robin across decisions, so every node gets looked at). Default 0. */
  start?: number;
  /** Stop filtering once this many nodes fit. Default: every node. */
  feasibleToFind?: number;
  /** What PreFilter and PreScore read (the scheduler's cache). Default: a view over `nodes` that walks their pods (tests). */
  cluster?: ClusterView;
  /**
   * Pods nominated to a node by an earlier preemption, waiting for their victims to go: a pod of
   * no higher priority must leave them the room (kube-scheduler's addNominatedPods).
   */
  nominatedPods?: (nodeName: string) => readonly PodInfo[];
}

/**
 * Filters nodes from `start` (wrapping) until `feasibleToFind` fit or every node was tried, then
 * scores those that fit. Cost: O(nodes evaluated) plus what PreFilter and PreScore read of the
 * cluster's counts; nothing here walks the cluster's pods.
 */
export function schedulePod(pod: PodInfo, nodes: readonly NodeInfo[], framework: Framework = DEFAULT_FRAMEWORK, opts: ScheduleOptions = {}): ScheduleResult {
  const cluster = opts.cluster ?? clusterViewOf(nodes);
  const filters = framework.filters.filter((f) => !f.skips?.(pod));
  for (const f of filters) f.preFilter?.(pod, cluster);
  let counts: Map<string, number> | undefined;
  let failures: Map<string, FilterFailure> | undefined;
  const feasible: NodeInfo[] = [];
  const n = nodes.length;
  const start = n === 0 ? 0 : (opts.start ?? 0) % n;
  const wanted = opts.feasibleToFind ?? n;
  let evaluated = 0;
  for (let i = start; evaluated < n && feasible.length < wanted; evaluated++, i = i + 1 === n ? 0 : i + 1) {
    const node = nodes[i] as NodeInfo;
    const failure = runFilters(pod, withNominated(pod, node, opts.nominatedPods), filters);
    if (!failure) {
      feasible.push(node);
      continue;
    }
    counts ??= new Map();
    failures ??= new Map();
    failures.set(node.name, failure);
    for (const [i, reason] of failure.reasons.entries()) if (failure.reasons.indexOf(reason) === i) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  if (feasible.length === 0) return { unschedulable: fitErrorMessage(n, counts ?? new Map()), evaluated, failures: failures ?? new Map() };
  const totals = scoreNodes(pod, feasible, framework.scores, cluster);
  // Best score; ties go to the first by name, so decisions are reproducible.
  let best = 0;
  for (let i = 1; i < feasible.length; i++) {
    const a = totals[i] as number;
    const b = totals[best] as number;
    if (a > b || (a === b && (feasible[i] as NodeInfo).name < (feasible[best] as NodeInfo).name)) best = i;
  }
  return { nodeName: (feasible[best] as NodeInfo).name, evaluated };
}

/** The node with the pods nominated to it that matter to `pod` (same or higher priority, not itself) counted in. */
function withNominated(pod: PodInfo, node: NodeInfo, nominatedPods: ScheduleOptions['nominatedPods']): NodeInfo {
  if (!nominatedPods) return node;
  const uid = pod.pod.metadata?.uid;
  const ahead = nominatedPods(node.name).filter((p) => p.priority >= pod.priority && p.pod.metadata?.uid !== uid);
  return ahead.length === 0 ? node : nodeInfoWith(node, [], ahead.map((p) => p.pod));
}

/** The filters in order; the first that fails decides (kube-scheduler stops at the first failing plugin). */
export function runFilters(pod: PodInfo, node: NodeInfo, filters: readonly FilterPlugin[]): FilterFailure | undefined {
  for (const plugin of filters) {
    const failure = plugin.filter(pod, node);
    if (failure) return failure;
  }
  return undefined;
}

/** Each score plugin's PreScore, raw scores and NormalizeScore, summed with the plugins' weights. */
export function scoreNodes(pod: PodInfo, feasible: readonly NodeInfo[], plugins: readonly ScorePlugin[], cluster: ClusterView): number[] {
  const totals = feasible.map(() => 0);
  // With one node there is nothing to choose (kube-scheduler skips scoring too).
  if (feasible.length < 2) return totals;
  for (const plugin of plugins) {
    if (plugin.skips?.(pod)) continue;
    plugin.preScore?.(pod, feasible, cluster);
    const scores = feasible.map((node) => plugin.score(pod, node));
    plugin.normalize?.(pod, scores, feasible);
    const weight = plugin.weight ?? 1;
    for (let i = 0; i < scores.length; i++) totals[i] = (totals[i] as number) + weight * (scores[i] as number);
  }
  return totals;
}

/** kube-scheduler's FitError text: reasons prefixed by their node counts, sorted. */
export function fitErrorMessage(nodeCount: number, counts: ReadonlyMap<string, number>): string {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  const reasons = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
  return reasons.length ? `0/${nodeCount} nodes are available: ${reasons.join(', ')}.` : `0/${nodeCount} nodes are available.`;
}

/**
 * A ClusterView over NodeInfos alone, counting by walking their pods on every call: for tests
 * and callers without a cache (the scheduler passes its cache, which keeps the counts).
 */
export function clusterViewOf(nodes: readonly NodeInfo[], namespaces: ReadonlyMap<string, Record<string, string>> = new Map()): ClusterView {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const namespaceLabels = (ns: string): Record<string, string> | undefined => namespaces.get(ns);
  return {
    nodeInfos: () => nodes,
    nodeInfo: (name) => byName.get(name),
    namespaceLabels,
    podCounts(selection) {
      const counts = new Map<string, number>();
      for (const node of nodes) {
        let c = 0;
        for (const p of node.pods.values()) if (selection.matches(p, namespaceLabels)) c++;
        if (c > 0) counts.set(node.name, c);
      }
      return counts;
    },
    affinityGroups() {
      const groups = new AffinityGroups();
      for (const node of nodes) for (const p of node.pods.values()) {
        const key = groups.keyOf(p);
        if (key) groups.apply(key, p, node.name, 1);
      }
      return groups.values();
    },
  };
}
