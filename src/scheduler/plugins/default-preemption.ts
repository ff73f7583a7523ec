/**
 * DefaultPreemption (kube-scheduler's PostFilter plugin of that name), the pure part: when no node
 * fits a pod, find the node where evicting the fewest, least important pods of lower priority
 * lets it fit.
 *
 * - Eligibility: `preemptionPolicy: Never` pods preempt nothing; a pod already nominated to a
 *   node where a lower-priority pod is still terminating waits for it instead of preempting again.
 * - Candidates: the nodes whose filter failure evictions could fix (not UnschedulableAndUnresolvable).
 *   On each: take off every pod of lower priority (the stateful filters' PreFilter state follows,
 *   through their AddPod/RemovePod extensions); if the pod still does not fit, the node is out
 *   (its failure, or `No preemption victims found for incoming pod` when there was nothing to take
 *   off). Otherwise put the pods back one by one, most important first (higher priority, then
 *   older), keeping each that still lets the pod fit: the rest are the victims.
 * - The node: fewest PodDisruptionBudget violations (kactus serves no PDBs: 0 everywhere), then
 *   the lowest highest-victim priority, the lowest sum of victim priorities, the fewest victims,
 *   the latest start among the highest-priority victims, then the first by name.
 * - Failure words: `preemption: 0/3 nodes are available: 1 No preemption victims found for
 *   incoming pod, 2 Preemption is not helpful for scheduling.` (appended to the FitError).
 */
import { isRecord, type KubeObject } from '../../api/object.ts';
import type { Framework } from '../framework.ts';
import { fitErrorMessage, runFilters } from '../framework.ts';
import { nodeInfoWith } from '../node-info-edit.ts';
import { priorityOf } from '../pod-info.ts';
import type { FilterFailure, FilterPlugin, NodeInfo, PodInfo } from '../types.ts';

export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NOT_ELIGIBLE_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const NOT_ELIGIBLE_TERMINATING = 'not eligible due to a terminating pod on the nominated node.';

export interface Candidate {
  nodeName: string;
  victims: KubeObject[];
}

export type PreemptionResult = { candidate: Candidate } | { message: string };

const startTime = (pod: KubeObject): number => {
  const t = isRecord(pod.status) && typeof pod.status.startTime === 'string' ? Date.parse(pod.status.startTime) : NaN;
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
};

/** MoreImportantPod: higher priority, then started earlier. */
export const moreImportant = (a: KubeObject, b: KubeObject): number => priorityOf(b) - priorityOf(a) || startTime(a) - startTime(b);

/** PodEligibleToPreemptOthers: undefined when eligible, else why not. */
export function notEligible(pod: PodInfo, nodes: ReadonlyMap<string, NodeInfo>, failures: ReadonlyMap<string, FilterFailure>): string | undefined {
  const spec = isRecord(pod.pod.spec) ? pod.pod.spec : {};
  if (spec.preemptionPolicy === 'Never') return NOT_ELIGIBLE_NEVER;
  const nominated = isRecord(pod.pod.status) && typeof pod.pod.status.nominatedNodeName === 'string' ? pod.pod.status.nominatedNodeName : '';
  if (nominated === '' || failures.get(nominated)?.unresolvable) return undefined;
  const node = nodes.get(nominated);
  if (!node) return undefined;
  for (const p of node.pods.values()) if (p.metadata?.deletionTimestamp && priorityOf(p) < pod.priority) return NOT_ELIGIBLE_TERMINATING;
  return undefined;
}

/** The pod's PreFilter state copied for a what-if (only plugins with extensions change it). */
function cloneCycle(pod: PodInfo, filters: readonly FilterPlugin[]): PodInfo {
  const cycle = new Map(pod.cycle);
  for (const f of filters) if (f.preFilterExtensions && cycle.has(f.name)) cycle.set(f.name, f.preFilterExtensions.clone(cycle.get(f.name)));
  return { ...pod, cycle };
}

function changeState(pod: PodInfo, filters: readonly FilterPlugin[], other: KubeObject, node: NodeInfo, sign: 1 | -1): void {
  for (const f of filters) {
    const ext = f.preFilterExtensions;
    if (!ext || !pod.cycle.has(f.name)) continue;
    if (sign > 0) ext.addPod(pod, pod.cycle.get(f.name), other, node);
    else ext.removePod(pod, pod.cycle.get(f.name), other, node);
  }
}

/** SelectVictimsOnNode: the victims, or why evictions on this node do not help. */
export function selectVictimsOnNode(pod: PodInfo, node: NodeInfo, filters: readonly FilterPlugin[]): { victims: KubeObject[] } | { failure: FilterFailure } {
  const potential = [...node.pods.values()].filter((p) => priorityOf(p) < pod.priority).sort(moreImportant);
  if (potential.length === 0) return { failure: { reasons: [NO_VICTIMS], unresolvable: true } };
  const what = cloneCycle(pod, filters);
  for (const victim of potential) changeState(what, filters, victim, node, -1);
  const removed = new Set(potential);
  const failure = runFilters(what, nodeInfoWith(node, potential), filters);
  if (failure) return { failure };
  const victims: KubeObject[] = [];
  // Reprieve as many as possible, most important first.
  for (const p of potential) {
    removed.delete(p);
    changeState(what, filters, p, node, 1);
    if (!runFilters(what, nodeInfoWith(node, [...removed]), filters)) continue;
    removed.add(p);
    changeState(what, filters, p, node, -1);
    victims.push(p);
  }
  return { victims };
}

/** pickOneNodeForPreemption, kube-scheduler's order of criteria (no PDBs: that one ties). */
export function pickOneNode(candidates: readonly Candidate[]): Candidate | undefined {
  const highest = (c: Candidate): number => Math.max(...c.victims.map(priorityOf));
  // Each priority made positive (+ 2^31), as kube-scheduler does, so fewer victims always sum lower.
  const sum = (c: Candidate): number => c.victims.reduce((s, v) => s + priorityOf(v) + 2 ** 31, 0);
  const latestStartOfHighest = (c: Candidate): number => {
    const top = highest(c);
    return Math.min(...c.victims.filter((v) => priorityOf(v) === top).map(startTime));
  };
  return [...candidates].sort(
    (a, b) => highest(a) - highest(b) || sum(a) - sum(b) || a.victims.length - b.victims.length || latestStartOfHighest(b) - latestStartOfHighest(a) || (a.nodeName < b.nodeName ? -1 : a.nodeName > b.nodeName ? 1 : 0),
  )[0];
}

/**
 * The PostFilter: the node to nominate and its victims, or the message (without the
 * `preemption: ` prefix's caller part: it is included) the FitError gets.
 */
export function preempt(pod: PodInfo, nodes: readonly NodeInfo[], failures: ReadonlyMap<string, FilterFailure>, framework: Framework): PreemptionResult {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const why = notEligible(pod, byName, failures);
  if (why) return { message: `preemption: ${why}` };
  const filters = framework.filters.filter((f) => !f.skips?.(pod));
  const counts = new Map<string, number>();
  const count = (reasons: readonly string[]): void => {
    for (const [i, r] of reasons.entries()) if (reasons.indexOf(r) === i) counts.set(r, (counts.get(r) ?? 0) + 1);
  };
  const candidates: Candidate[] = [];
  for (const node of nodes) {
    const failure = failures.get(node.name);
    if (!failure || failure.unresolvable) {
      count([NOT_HELPFUL]);
      continue;
    }
    const result = selectVictimsOnNode(pod, node, filters);
    if ('failure' in result) count(result.failure.reasons);
    else if (result.victims.length > 0) candidates.push({ nodeName: node.name, victims: result.victims });
  }
  const best = pickOneNode(candidates);
  return best ? { candidate: best } : { message: `preemption: ${fitErrorMessage(nodes.length, counts)}` };
}
