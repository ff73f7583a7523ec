/**
 * Pod affinity terms as kube-scheduler reads them (framework.AffinityTerm): a term selects pods
 * by label selector in a set of namespaces — those it lists, plus those whose labels its
 * namespaceSelector matches; neither given means the namespace of the pod that carries the term
 * (an empty namespaceSelector `{}` means every namespace). A null or unparsable labelSelector
 * selects nothing. Each term is a `PodSelection`, so the cache can keep its per-node counts.
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../api/object.ts';
import { LabelSelector, type LabelSelectorObject } from '../api/selectors.ts';
import type { PodSelection } from './types.ts';

export interface AffinityTerm {
  topologyKey: string;
  selection: PodSelection;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

function selectorOf(raw: unknown): { selector: LabelSelector; json: unknown } {
  if (!isRecord(raw)) return { selector: LabelSelector.nothing(), json: null };
  try {
    return { selector: LabelSelector.fromObject(raw as LabelSelectorObject), json: raw };
  } catch {
    return { selector: LabelSelector.nothing(), json: null };
  }
}

/** The PodSelection of one PodAffinityTerm carried by a pod of `ownNamespace`. */
export function termSelection(term: JsonObject, ownNamespace: string): PodSelection {
  const labels = selectorOf(term.labelSelector);
  const listed = Array.isArray(term.namespaces) ? term.namespaces.filter((n): n is string => typeof n === 'string') : [];
  const nsSelector = isRecord(term.namespaceSelector) ? selectorOf(term.namespaceSelector) : undefined;
  const namespaces = new Set(listed.length === 0 && !nsSelector ? [ownNamespace] : listed);
  const key = JSON.stringify({ ns: [...namespaces].sort(), nsSel: nsSelector?.json ?? null, sel: labels.json });
  return {
    key,
    readsNamespaceLabels: nsSelector !== undefined,
    matches(pod: KubeObject, namespaceLabels: NamespaceLabels): boolean {
      const namespace = pod.metadata?.namespace ?? '';
      const inNamespace = namespaces.has(namespace) || (nsSelector !== undefined && nsSelector.selector.matches(namespaceLabels(namespace) ?? {}));
      return inNamespace && labels.selector.matches(pod.metadata?.labels ?? {});
    },
  };
}

/** One selection matching the pods every one of `terms` matches (a pod's required affinity terms count together). */
export function allTermsSelection(terms: readonly AffinityTerm[]): PodSelection {
  return {
    key: JSON.stringify(['all', ...terms.map((t) => t.selection.key)]),
    readsNamespaceLabels: terms.some((t) => t.selection.readsNamespaceLabels),
    matches: (pod, namespaceLabels) => terms.every((t) => t.selection.matches(pod, namespaceLabels)),
  };
}

/** The parsed terms of a pod's (or a group's) `spec.affinity`. */
export interface PodAffinityTerms {
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
}

function required(section: unknown, ownNamespace: string): AffinityTerm[] {
  return recordList(isRecord(section) ? section : undefined, 'requiredDuringSchedulingIgnoredDuringExecution').flatMap((t) =>
    typeof t.topologyKey === 'string' && t.topologyKey !== '' ? [{ topologyKey: t.topologyKey, selection: termSelection(t, ownNamespace) }] : [],
  );
}

function preferred(section: unknown, ownNamespace: string): WeightedAffinityTerm[] {
  return recordList(isRecord(section) ? section : undefined, 'preferredDuringSchedulingIgnoredDuringExecution').flatMap((w) => {
    const t = isRecord(w.podAffinityTerm) ? w.podAffinityTerm : undefined;
    if (!t || typeof w.weight !== 'number' || w.weight === 0 || typeof t.topologyKey !== 'string' || t.topologyKey === '') return [];
    return [{ weight: w.weight, topologyKey: t.topologyKey, selection: termSelection(t, ownNamespace) }];
  });
}

/** `affinity` = a pod's spec.affinity (podAffinity / podAntiAffinity are read). */
export function podAffinityTerms(affinity: JsonObject | undefined, ownNamespace: string): PodAffinityTerms {
  return {
    requiredAffinity: required(affinity?.podAffinity, ownNamespace),
    requiredAntiAffinity: required(affinity?.podAntiAffinity, ownNamespace),
    preferredAffinity: preferred(affinity?.podAffinity, ownNamespace),
    preferredAntiAffinity: preferred(affinity?.podAntiAffinity, ownNamespace),
  };
}

export function podTermsOf(pod: KubeObject): PodAffinityTerms {
  const affinity = isRecord(pod.spec) && isRecord(pod.spec.affinity) ? pod.spec.affinity : undefined;
  return podAffinityTerms(affinity, pod.metadata?.namespace ?? '');
}

/** `key\0value`: a topology pair as a map key. */
export const pairKey = (key: string, value: string): string => `${key}\u0000${value}`;
