/**
 * What a user may do in a namespace, as SelfSubjectRulesReview answers it (`kubectl auth can-i
 * --list`): the rules of every role bound to the user there or cluster-wide, split into
 * resource rules and non-resource rules; `incomplete` when a binding names a role that does not
 * exist. Authorizers before RBAC in a chain add their own (the privileged group: everything).
 */
import type { PolicyRule } from 'kubernetes-types/rbac/v1.d.ts';
import type { UserInfo } from '../../../api/user.ts';
import type { RbacPolicy } from './policy.ts';

/** authorization.k8s.io/v1 ResourceRule (kubernetes-types' declaration lacks verbs and resources). */
export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

/** authorization.k8s.io/v1 SubjectRulesReviewStatus. */
export interface SubjectRulesReviewStatus {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  incomplete: boolean;
  evaluationError?: string;
}

export function splitRules(rules: readonly PolicyRule[]): { resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[] } {
  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  for (const r of rules) {
    if (r.resources?.length) {
      const rr: ResourceRule = { verbs: [...r.verbs], apiGroups: [...(r.apiGroups ?? [])], resources: [...r.resources] };
      if (r.resourceNames?.length) rr.resourceNames = [...r.resourceNames];
      resourceRules.push(rr);
    }
    if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: [...r.verbs], nonResourceURLs: [...r.nonResourceURLs] });
  }
  return { resourceRules, nonResourceRules };
}

/** The RBAC part of a SelfSubjectRulesReview's status for `user` in `namespace`. */
export function rbacRulesReview(policy: RbacPolicy, user: UserInfo, namespace: string): SubjectRulesReviewStatus {
  const { rules, errors } = policy.rulesFor(user, namespace);
  const status: SubjectRulesReviewStatus = { ...splitRules(rules), incomplete: errors.length > 0 };
  if (errors.length) status.evaluationError = errors.join(', ');
  return status;
}
