/**
 * PodTopologySpread's PreFilter and Filter (kube-scheduler's plugin of that name): the pod's
 * `topologySpreadConstraints` with `whenUnsatisfiable: DoNotSchedule` (the default).
 *
 * For each constraint, the domains are the values of its topologyKey on the eligible nodes —
 * nodes that carry every constraint's key, match the pod's required node affinity and
 * nodeSelector unless `nodeAffinityPolicy: Ignore` (default Honor), and whose NoSchedule/NoExecute
 * taints the pod tolerates if `nodeTaintsPolicy: Honor` (default Ignore). A domain's count is the
 * number of pods of the pod's namespace, not being deleted, that the constraint's labelSelector
 * (with `matchLabelKeys` from the pod's own labels) matches — the cache's per-node counts, so no
 * pod is walked per decision.
 *
 * Filter: a node without the key fails (`… (missing required label)`, evictions cannot help);
 * otherwise placing the pod there must keep `count + self − global minimum ≤ maxSkew`, the global
 * minimum being 0 while fewer than `minDomains` domains exist. Failure:
 * `node(s) didn't match pod topology spread constraints`.
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { LabelSelector, type LabelSelectorObject } from '../../api/selectors.ts';
import { pairKey } from '../pod-affinity-terms.ts';
import { firstUntolerated } from '../taints.ts';
import type { ClusterView, FilterPlugin, NodeInfo, PodInfo, PodSelection } from '../types.ts';
import { requiredNodeAffinityMatches } from './node-affinity.ts';

export const ERR_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_NODE_LABEL_NOT_MATCH = `${ERR_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const NAME = 'PodTopologySpread';

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
  selector: LabelSelector;
  /** The pods the domains count: the pod's namespace, the selector, not being deleted. */
  selection: PodSelection;
}

/** The pod's constraints (parsed once per attempt), both kinds. */
export function spreadConstraintsOf(pod: PodInfo): SpreadConstraint[] {
  let constraints = pod.cycle.get(`${NAME}/constraints`) as SpreadConstraint[] | undefined;
  if (!constraints) pod.cycle.set(`${NAME}/constraints`, (constraints = parseConstraints(pod.pod)));
  return constraints;
}

function parseConstraints(pod: KubeObject): SpreadConstraint[] {
  const spec = isRecord(pod.spec) ? pod.spec : undefined;
  const namespace = pod.metadata?.namespace ?? '';
  const labels = pod.metadata?.labels ?? {};
  return recordList(spec, 'topologySpreadConstraints').flatMap((c: JsonObject): SpreadConstraint[] => {
    if (typeof c.topologyKey !== 'string' || c.topologyKey === '') return [];
    const { selector, json } = selectorWithMatchLabelKeys(c, labels);
    const key = JSON.stringify({ spread: namespace, sel: json });
    return [
      {
        maxSkew: typeof c.maxSkew === 'number' && c.maxSkew > 0 ? c.maxSkew : 1,
        topologyKey: c.topologyKey,
        whenUnsatisfiable: c.whenUnsatisfiable === 'ScheduleAnyway' ? 'ScheduleAnyway' : 'DoNotSchedule',
        minDomains: typeof c.minDomains === 'number' && c.minDomains > 0 ? c.minDomains : 1,
        honorNodeAffinity: c.nodeAffinityPolicy !== 'Ignore',
        honorNodeTaints: c.nodeTaintsPolicy === 'Honor',
        selector,
        selection: {
          key,
          readsNamespaceLabels: false,
          matches: (p) => (p.metadata?.namespace ?? '') === namespace && !p.metadata?.deletionTimestamp && selector.matches(p.metadata?.labels ?? {}),
        },
      },
    ];
  });
}

/** The labelSelector with `matchLabelKeys` added as `key In (the pod's value)`; a null selector selects nothing. */
function selectorWithMatchLabelKeys(c: JsonObject, podLabels: Record<string, string>): { selector: LabelSelector; json: unknown } {
  if (!isRecord(c.labelSelector)) return { selector: LabelSelector.nothing(), json: null };
  const raw = c.labelSelector as LabelSelectorObject;
  const keys = Array.isArray(c.matchLabelKeys) ? c.matchLabelKeys.filter((k): k is string => typeof k === 'string' && podLabels[k] !== undefined) : [];
  const merged: LabelSelectorObject = keys.length ? { ...raw, matchExpressions: [...(raw.matchExpressions ?? []), ...keys.map((k) => ({ key: k, operator: 'In', values: [podLabels[k] as string] }))] } : raw;
  try {
    return { selector: LabelSelector.fromObject(merged), json: merged };
  } catch {
    return { selector: LabelSelector.nothing(), json: null };
  }
}

/** matchNodeInclusionPolicies: the node counts as a domain of the constraint. */
export function nodeIncluded(c: SpreadConstraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.honorNodeAffinity && !requiredNodeAffinityMatches(pod.pod, node.node)) return false;
  if (c.honorNodeTaints && firstUntolerated(node.facts.taints, pod.tolerations)) return false;
  return true;
}

/** nodeLabelsMatchSpreadConstraints: the node carries every constraint's key. */
export const hasAllKeys = (labels: Record<string, string>, constraints: readonly SpreadConstraint[]): boolean => constraints.every((c) => labels[c.topologyKey] !== undefined);

interface State {
  constraints: SpreadConstraint[];
  /** pair → matching pods in the domain (every eligible domain present, 0 included). */
  matchNum: Map<string, number>;
  /** topologyKey → number of domains and their minimum count. */
  perKey: Map<string, { domains: number; min: number }>;
}

function recomputeMin(state: State, key: string): void {
  let min = Infinity;
  let domains = 0;
  const prefix = pairKey(key, '');
  for (const [pair, n] of state.matchNum) {
    if (!pair.startsWith(prefix)) continue;
    domains++;
    if (n < min) min = n;
  }
  state.perKey.set(key, { domains, min });
}

function preFilter(pod: PodInfo, cluster: ClusterView): State {
  const constraints = spreadConstraintsOf(pod).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
  const state: State = { constraints, matchNum: new Map(), perKey: new Map() };
  if (constraints.length === 0) return state;
  const counts = constraints.map((c) => cluster.podCounts(c.selection));
  for (const node of cluster.nodeInfos()) {
    const labels = node.node.metadata?.labels ?? {};
    if (!hasAllKeys(labels, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!nodeIncluded(c, pod, node)) return;
      const pair = pairKey(c.topologyKey, labels[c.topologyKey] as string);
      state.matchNum.set(pair, (state.matchNum.get(pair) ?? 0) + ((counts[i] as ReadonlyMap<string, number>).get(node.name) ?? 0));
    });
  }
  for (const key of new Set(constraints.map((c) => c.topologyKey))) recomputeMin(state, key);
  return state;
}

function update(pod: PodInfo, state: State, other: KubeObject, node: NodeInfo, sign: 1 | -1): void {
  const labels = node.node.metadata?.labels ?? {};
  if (state.constraints.length === 0 || !hasAllKeys(labels, state.constraints)) return;
  for (const c of state.constraints) {
    if (!c.selection.matches(other, () => undefined) || !nodeIncluded(c, pod, node)) continue;
    const pair = pairKey(c.topologyKey, labels[c.topologyKey] as string);
    state.matchNum.set(pair, (state.matchNum.get(pair) ?? 0) + sign);
    recomputeMin(state, c.topologyKey);
  }
}

export const podTopologySpread: FilterPlugin = {
  name: NAME,
  skips: (pod) => !spreadConstraintsOf(pod).some((c) => c.whenUnsatisfiable === 'DoNotSchedule'),
  preFilter(pod, cluster) {
    pod.cycle.set(NAME, preFilter(pod, cluster));
  },
  filter(pod, node) {
    const state = pod.cycle.get(NAME) as State | undefined;
    if (!state || state.constraints.length === 0) return undefined;
    const labels = node.node.metadata?.labels ?? {};
    const podLabels = pod.pod.metadata?.labels ?? {};
    for (const c of state.constraints) {
      const value = labels[c.topologyKey];
      if (value === undefined) return { reasons: [ERR_NODE_LABEL_NOT_MATCH], unresolvable: true };
      const key = state.perKey.get(c.topologyKey) ?? { domains: 0, min: Infinity };
      const min = key.domains < c.minDomains ? 0 : key.min;
      const self = c.selector.matches(podLabels) ? 1 : 0;
      const skew = (state.matchNum.get(pairKey(c.topologyKey, value)) ?? 0) + self - min;
      if (skew > c.maxSkew) return { reasons: [ERR_CONSTRAINTS_NOT_MATCH] };
    }
    return undefined;
  },
  preFilterExtensions: {
    clone(state) {
      const s = state as State;
      return { constraints: s.constraints, matchNum: new Map(s.matchNum), perKey: new Map(s.perKey) };
    },
    addPod: (pod, state, added, node) => update(pod, state as State, added, node, 1),
    removePod: (pod, state, removed, node) => update(pod, state as State, removed, node, -1),
  },
};
