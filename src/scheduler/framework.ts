/**
 * One scheduling decision, pure: run the filters on every node (a node fails at its first
 * failing filter, as kube-scheduler), score the nodes that fit, pick the best (ties: the first by
 * name, so decisions are reproducible). Failure is worded as kube-scheduler's FitError:
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were not ready.`
 */
import { leastAllocated } from './plugins/least-allocated.ts';
import { nodeAffinity } from './plugins/node-affinity.ts';
import { nodeName } from './plugins/node-name.ts';
import { nodePorts } from './plugins/node-ports.ts';
import { nodeReady } from './plugins/node-ready.ts';
import { nodeResourcesFit } from './plugins/node-resources-fit.ts';
import { volumeBinding } from './plugins/volume-binding.ts';
import type { FilterPlugin, NodeInfo, PodInfo, ScorePlugin } from './types.ts';

export interface Framework {
  filters: readonly FilterPlugin[];
  scores: readonly ScorePlugin[];
}

/** The default profile (`default-scheduler`). */
export const DEFAULT_FRAMEWORK: Framework = {
  filters: [nodeName, nodeReady, nodeAffinity, nodePorts, nodeResourcesFit, volumeBinding],
  scores: [leastAllocated],
};

export type ScheduleResult = ({ nodeName: string } | { unschedulable: string }) & {
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
}

/**
 * Filters nodes from `start` (wrapping) until `feasibleToFind` fit or every node was tried, then
 * scores those that fit. Cost: O(nodes evaluated); nothing here depends on the number of pods.
 */
export function schedulePod(pod: PodInfo, nodes: readonly NodeInfo[], framework: Framework = DEFAULT_FRAMEWORK, opts: ScheduleOptions = {}): ScheduleResult {
  let counts: Map<string, number> | undefined;
  const feasible: NodeInfo[] = [];
  const n = nodes.length;
  const start = n === 0 ? 0 : (opts.start ?? 0) % n;
  const wanted = opts.feasibleToFind ?? n;
  const filters = framework.filters.filter((f) => !f.skips?.(pod));
  let evaluated = 0;
  for (let i = start; evaluated < n && feasible.length < wanted; evaluated++, i = i + 1 === n ? 0 : i + 1) {
    const node = nodes[i] as NodeInfo;
    const failure = firstFailure(pod, node, filters);
    if (!failure) {
      feasible.push(node);
      continue;
    }
    counts ??= new Map();
    for (const [i, reason] of failure.entries()) if (failure.indexOf(reason) === i) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  if (feasible.length === 0) return { unschedulable: fitErrorMessage(n, counts ?? new Map()), evaluated };
  // Best score; ties go to the first by name, so decisions are reproducible.
  let best: { node: NodeInfo; score: number } | undefined;
  for (const node of feasible) {
    let score = 0;
    for (const plugin of framework.scores) score += plugin.score(pod, node);
    if (!best || score > best.score || (score === best.score && node.name < best.node.name)) best = { node, score };
  }
  return { nodeName: (best as { node: NodeInfo }).node.name, evaluated };
}

function firstFailure(pod: PodInfo, node: NodeInfo, filters: readonly FilterPlugin[]): string[] | undefined {
  for (const plugin of filters) {
    const failure = plugin.filter(pod, node);
    if (failure) return failure.reasons;
  }
  return undefined;
}

/** kube-scheduler's FitError text: reasons prefixed by their node counts, sorted. */
export function fitErrorMessage(nodeCount: number, counts: ReadonlyMap<string, number>): string {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  const reasons = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
  return reasons.length ? `0/${nodeCount} nodes are available: ${reasons.join(', ')}.` : `0/${nodeCount} nodes are available.`;
}
