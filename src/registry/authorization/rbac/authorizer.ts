/**
 * Kubernetes' RBAC authorizer (plugin/pkg/auth/authorizer/rbac/rbac.go): allows a request when a
 * rule of a role bound to the user covers it, and otherwise has no opinion (the API server then
 * answers 403). Synchronous: it reads the informer caches of `RbacPolicy`.
 */
import type { Subject } from 'kubernetes-types/rbac/v1.d.ts';
import type { AuthorizationAttributes, Authorizer, Decision } from '../types.ts';
import type { RbacPolicy } from './policy.ts';
import { ruleAllows, type RuleRequest } from './rules.ts';
import { appliesToUser, describeSubject } from './subjects.ts';

export class RbacAuthorizer implements Authorizer {
  constructor(private readonly policy: RbacPolicy) {}

  authorize(attrs: AuthorizationAttributes): Decision {
    const namespace = attrs.resourceRequest ? attrs.namespace : '';
    const request: RuleRequest = attrs;
    let allowed: string | undefined;
    const errors: string[] = [];
    this.policy.visitRulesFor(attrs.user, namespace, (source, rule, err) => {
      if (err) errors.push(err);
      if (!source || !rule || !ruleAllows(request, rule)) return true;
      const b = source.binding;
      const ns = b.metadata?.namespace ?? '';
      const subject = (b.subjects ?? []).find((s: Subject) => appliesToUser(attrs.user, s, ns));
      const who = subject ? describeSubject(subject, ns) : '';
      allowed =
        source.bindingKind === 'ClusterRoleBinding'
          ? `RBAC: allowed by ClusterRoleBinding ${JSON.stringify(b.metadata?.name)} of ClusterRole ${JSON.stringify(b.roleRef.name)} to ${who}`
          : `RBAC: allowed by RoleBinding ${JSON.stringify(`${b.metadata?.name}/${ns}`)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${who}`;
      return false;
    });
    if (allowed) return { decision: 'allow', reason: allowed };
    return { decision: 'no-opinion', reason: errors.length ? `RBAC: [${errors.join(', ')}]` : '' };
  }
}
