/**
 * Whether one PolicyRule allows a request (Kubernetes' rbac `RuleAllows` and the matchers of
 * pkg/apis/rbac/v1/evaluation_helpers.go): verbs (or `*`), API groups (or `*`), resources —
 * `pods`, `pods/log`, `*`, or `*` slash a subresource (`*` + `/scale`) — and resource names (none listed: every name); a
 * non-resource request matches `nonResourceURLs`, exactly or by a trailing `*` prefix.
 */
import type { PolicyRule } from 'kubernetes-types/rbac/v1.d.ts';
import type { NonResourceAttributes, ResourceAttributes } from '../types.ts';

export const ALL = '*';

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === ALL || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

/** `combined` is `resource` or `resource/subresource`; a rule's `*` + `/sub` matches any resource's `sub`. */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource !== '' && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const url of rule.nonResourceURLs ?? []) {
    if (url === ALL || url === path) return true;
    if (url.endsWith('*') && path.startsWith(url.replace(/\*+$/, ''))) return true;
  }
  return false;
}

export type RuleRequest = ({ resourceRequest: true } & Omit<ResourceAttributes, 'namespace'>) | ({ resourceRequest: false } & NonResourceAttributes);

/** `RuleAllows`: whether `rule` covers the request. */
export function ruleAllows(request: RuleRequest, rule: PolicyRule): boolean {
  if (!verbMatches(rule, request.verb)) return false;
  if (!request.resourceRequest) return nonResourceURLMatches(rule, request.path);
  const combined = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  return apiGroupMatches(rule, request.apiGroup) && resourceMatches(rule, combined, request.subresource) && resourceNameMatches(rule, request.name);
}

/** Whether any of `rules` covers the request. */
export function rulesAllow(request: RuleRequest, rules: readonly PolicyRule[]): boolean {
  return rules.some((r) => ruleAllows(request, r));
}
