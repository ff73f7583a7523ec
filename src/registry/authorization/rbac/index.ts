/**
 * RBAC for one process: the policy caches, the authorizer, the escalation check and the rules
 * review, started together (`startRbac`). The master wires them into its API server
 * (src/master/master.ts); see README.md.
 */
import type { UserInfo } from '../../../api/user.ts';
import type { Store } from '../../../store/types.ts';
import type { Authorizer } from '../types.ts';
import { RbacAuthorizer } from './authorizer.ts';
import { RbacEscalationAdmission } from './escalation.ts';
import { RbacPolicy } from './policy.ts';
import { rbacRulesReview, type SubjectRulesReviewStatus } from './rules-review.ts';

export { RbacAuthorizer } from './authorizer.ts';
export { RbacEscalationAdmission } from './escalation.ts';
export { RbacPolicy } from './policy.ts';
export { reconcileBootstrapPolicy } from './reconcile.ts';
export { BOOTSTRAP_CLUSTER_ROLES, BOOTSTRAP_CLUSTER_ROLE_BINDINGS } from './bootstrap-policy.ts';

export interface Rbac {
  policy: RbacPolicy;
  /** `--authorization-mode=RBAC` (compose with the node authorizer: `authorizerChain(node, rbac.authorizer)`). */
  authorizer: RbacAuthorizer;
  /** SelfSubjectRulesReview's source (ApiServerOptions.rulesReview). */
  rulesReview(user: UserInfo, namespace: string): SubjectRulesReviewStatus;
  /** The escalation check (ApiServerOptions.admissionPlugins), asking `authorizer` for `escalate` and `bind`. */
  escalation(authorizer: Authorizer): RbacEscalationAdmission;
  stop(): void;
}

/** Starts the RBAC caches over `store`; resolves once they hold the stored roles and bindings. */
export async function startRbac(store: Store): Promise<Rbac> {
  const policy = new RbacPolicy(store);
  await policy.start();
  return {
    policy,
    authorizer: new RbacAuthorizer(policy),
    rulesReview: (user, namespace) => rbacRulesReview(policy, user, namespace),
    escalation: (authorizer) => new RbacEscalationAdmission({ policy, authorizer }),
    stop: () => policy.stop(),
  };
}
