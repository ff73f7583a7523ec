/**
 * InterPodAffinity's PreFilter and Filter (kube-scheduler's plugin of that name): required pod
 * affinity and anti-affinity by topology domain, both ways.
 *
 * PreFilter counts, per topology pair (`topologyKey=value` of the nodes), the placed pods that
 * - carry a required anti-affinity term matching the incoming pod (existing pods' anti-affinity,
 *   the symmetry: read from the cache's affinity groups, one per workload, not per pod);
 * - match every required affinity term of the incoming pod (for each of those terms' keys);
 * - match each required anti-affinity term of the incoming pod.
 * The last two are the cache's per-node counts of each term's selection, kept by pod events, so a
 * decision costs O(nodes with matching pods + affinity groups), never O(pods).
 *
 * Filter, in kube-scheduler's order:
 * - affinity: the node has every term's topology key and each pair has a matching pod — or no
 *   pod matches anywhere and the pod matches its own terms (the first of a group that wants to
 *   be together); else `node(s) didn't match pod affinity rules` (evictions cannot help);
 * - anti-affinity: no pair of the node's holds a pod a term matches, else
 *   `node(s) didn't match pod anti-affinity rules`;
 * - existing pods' anti-affinity: no pair of the node's is counted, else
 *   `node(s) didn't satisfy existing pods anti-affinity rules`.
 */
import type { KubeObject } from '../../api/object.ts';
import { allTermsSelection, pairKey, podAffinityTerms, podTermsOf, type AffinityTerm, type PodAffinityTerms } from '../pod-affinity-terms.ts';
import type { AffinityGroup, ClusterView, FilterPlugin, NodeInfo, PodInfo } from '../types.ts';

export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

const NAME = 'InterPodAffinity';

interface State {
  terms: PodAffinityTerms;
  /** pair → placed pods whose required anti-affinity matches the incoming pod. */
  existingAnti: Map<string, number>;
  /** pair → placed pods matching all required affinity terms. */
  affinity: Map<string, number>;
  /** pair → placed pods matching a required anti-affinity term (summed over terms). */
  anti: Map<string, number>;
  /** The incoming pod matches all of its own required affinity terms. */
  selfAffine: boolean;
  namespaceLabels: (namespace: string) => Record<string, string> | undefined;
}

const groupTerms = new WeakMap<AffinityGroup, PodAffinityTerms>();

/** A group's parsed terms, parsed once per group object. */
export function termsOfGroup(group: AffinityGroup): PodAffinityTerms {
  let terms = groupTerms.get(group);
  if (!terms) groupTerms.set(group, (terms = podAffinityTerms(group.affinity, group.namespace)));
  return terms;
}

/** The incoming pod's terms, parsed once per attempt. */
export function termsOfPod(pod: PodInfo): PodAffinityTerms {
  let terms = pod.cycle.get(`${NAME}/terms`) as PodAffinityTerms | undefined;
  if (!terms) pod.cycle.set(`${NAME}/terms`, (terms = podTermsOf(pod.pod)));
  return terms;
}

const labelsOf = (node: NodeInfo | undefined): Record<string, string> | undefined => node?.node.metadata?.labels;

function bump(counts: Map<string, number>, key: string, n: number): void {
  const next = (counts.get(key) ?? 0) + n;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}

/** For each term, adds `n` at the node's pair for the term's key (when the node has the label). */
function countAt(counts: Map<string, number>, terms: readonly AffinityTerm[], labels: Record<string, string> | undefined, n: number): void {
  if (!labels) return;
  for (const t of terms) {
    const value = labels[t.topologyKey];
    if (value !== undefined) bump(counts, pairKey(t.topologyKey, value), n);
  }
}

function preFilter(pod: PodInfo, cluster: ClusterView): State {
  const terms = termsOfPod(pod);
  const namespaceLabels = (ns: string) => cluster.namespaceLabels(ns);
  const state: State = { terms, existingAnti: new Map(), affinity: new Map(), anti: new Map(), selfAffine: false, namespaceLabels };
  for (const group of cluster.affinityGroups()) {
    const matching = termsOfGroup(group).requiredAntiAffinity.filter((t) => t.selection.matches(pod.pod, namespaceLabels));
    if (matching.length === 0) continue;
    for (const [nodeName, n] of group.perNode) countAt(state.existingAnti, matching, labelsOf(cluster.nodeInfo(nodeName)), n);
  }
  if (terms.requiredAffinity.length > 0) {
    for (const [nodeName, n] of cluster.podCounts(allTermsSelection(terms.requiredAffinity))) countAt(state.affinity, terms.requiredAffinity, labelsOf(cluster.nodeInfo(nodeName)), n);
    state.selfAffine = terms.requiredAffinity.every((t) => t.selection.matches(pod.pod, namespaceLabels));
  }
  for (const term of terms.requiredAntiAffinity) {
    for (const [nodeName, n] of cluster.podCounts(term.selection)) countAt(state.anti, [term], labelsOf(cluster.nodeInfo(nodeName)), n);
  }
  return state;
}

function satisfiesAffinity(state: State, labels: Record<string, string>): boolean {
  let podsExist = true;
  for (const t of state.terms.requiredAffinity) {
    const value = labels[t.topologyKey];
    // Every topology key must be on the node.
    if (value === undefined) return false;
    if ((state.affinity.get(pairKey(t.topologyKey, value)) ?? 0) <= 0) podsExist = false;
  }
  // The first pod of a series that wants to be together: nothing matches yet anywhere, and it matches itself.
  return podsExist || (state.affinity.size === 0 && state.selfAffine);
}

function satisfiesAntiAffinity(state: State, labels: Record<string, string>): boolean {
  for (const t of state.terms.requiredAntiAffinity) {
    const value = labels[t.topologyKey];
    if (value !== undefined && (state.anti.get(pairKey(t.topologyKey, value)) ?? 0) > 0) return false;
  }
  return true;
}

function satisfiesExistingAntiAffinity(state: State, labels: Record<string, string>): boolean {
  if (state.existingAnti.size === 0) return true;
  for (const key in labels) if ((state.existingAnti.get(pairKey(key, labels[key] as string)) ?? 0) > 0) return false;
  return true;
}

/** How one placed pod on `node` changes the counts (`sign` 1: added, -1: removed): preemption's what-if. */
function update(pod: PodInfo, state: State, other: KubeObject, node: NodeInfo, sign: 1 | -1): void {
  const labels = labelsOf(node);
  const { terms, namespaceLabels } = state;
  const existing = podTermsOf(other).requiredAntiAffinity.filter((t) => t.selection.matches(pod.pod, namespaceLabels));
  countAt(state.existingAnti, existing, labels, sign);
  if (terms.requiredAffinity.length > 0 && terms.requiredAffinity.every((t) => t.selection.matches(other, namespaceLabels))) countAt(state.affinity, terms.requiredAffinity, labels, sign);
  countAt(
    state.anti,
    terms.requiredAntiAffinity.filter((t) => t.selection.matches(other, namespaceLabels)),
    labels,
    sign,
  );
}

export const interPodAffinity: FilterPlugin = {
  name: NAME,
  preFilter(pod, cluster) {
    pod.cycle.set(NAME, preFilter(pod, cluster));
  },
  filter(pod, node) {
    const state = pod.cycle.get(NAME) as State | undefined;
    if (!state) return undefined;
    const labels = labelsOf(node) ?? {};
    if (!satisfiesAffinity(state, labels)) return { reasons: [ERR_AFFINITY], unresolvable: true };
    if (!satisfiesAntiAffinity(state, labels)) return { reasons: [ERR_ANTI_AFFINITY] };
    if (!satisfiesExistingAntiAffinity(state, labels)) return { reasons: [ERR_EXISTING_ANTI_AFFINITY] };
    return undefined;
  },
  preFilterExtensions: {
    clone(state) {
      const s = state as State;
      return { ...s, existingAnti: new Map(s.existingAnti), affinity: new Map(s.affinity), anti: new Map(s.anti) };
    },
    addPod: (pod, state, added, node) => update(pod, state as State, added, node, 1),
    removePod: (pod, state, removed, node) => update(pod, state as State, removed, node, -1),
  },
};
