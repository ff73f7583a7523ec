/**
 * One scheduling decision, pure: run the filters on every node (a node fails at its first
 * failing filter, as kube-scheduler), score the nodes that fit, pick the best (ties: the first by
 * name, so decisions are reproducible). Failure is worded as kube-scheduler's FitError:
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were not ready.`
 */
import { leastAllocated } from './plugins/least-allocated.ts';
import { nodeAffinity } from './plugins/node-affinity.ts';
import { nodeName } from './plugins/node-name.ts';
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
  filters: [nodeName, nodeReady, nodeAffinity, nodeResourcesFit, volumeBinding],
  scores: [leastAllocated],
};

export type ScheduleResult = { nodeName: string } | { unschedulable: string };

export function schedulePod(pod: PodInfo, nodes: readonly NodeInfo[], framework: Framework = DEFAULT_FRAMEWORK): ScheduleResult {
  const counts = new Map<string, number>();
  const feasible: NodeInfo[] = [];
  for (const node of nodes) {
    const failure = firstFailure(pod, node, framework.filters);
    if (!failure) {
      feasible.push(node);
      continue;
    }
    for (const reason of new Set(failure)) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  if (feasible.length === 0) return { unschedulable: fitErrorMessage(nodes.length, counts) };
  let best: { node: NodeInfo; score: number } | undefined;
  for (const node of [...feasible].sort((a, b) => a.name.localeCompare(b.name))) {
    const score = framework.scores.reduce((sum, plugin) => sum + plugin.score(pod, node), 0);
    if (!best || score > best.score) best = { node, score };
  }
  return { nodeName: (best as { node: NodeInfo }).node.name };
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
