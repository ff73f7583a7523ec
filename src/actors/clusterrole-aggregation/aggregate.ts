/**
 * The rules an aggregated ClusterRole should hold (Kubernetes' clusterroleaggregation
 * controller): the rules of every other ClusterRole matching one of its
 * `aggregationRule.clusterRoleSelectors`, roles taken by name, each rule once (the first time
 * it appears). Pure.
 */
import type { ClusterRole, PolicyRule } from 'kubernetes-types/rbac/v1.d.ts';
import { jsonEqual } from '../../api/object.ts';
import { LabelSelector, type LabelSelectorObject } from '../../api/selectors.ts';

export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const selectors = (role.aggregationRule?.clusterRoleSelectors ?? []).map((s) => LabelSelector.fromObject(s as LabelSelectorObject));
  const sources = all
    .filter((other) => other.metadata?.name !== role.metadata?.name)
    .filter((other) => selectors.some((s) => s.matches(other.metadata?.labels ?? {})))
    .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  const rules: PolicyRule[] = [];
  for (const source of sources) for (const rule of source.rules ?? []) if (!rules.some((r) => jsonEqual(r, rule))) rules.push(structuredClone(rule));
  return rules;
}
