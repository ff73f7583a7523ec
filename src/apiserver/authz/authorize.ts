/**
 * The API server's authorization step: `system:masters` is allowed everything without asking
 * (Kubernetes' privileged-group authorizer, first in kube-apiserver's chain); anyone else is
 * allowed only when the authorizer says `allow`; otherwise the request ends in Kubernetes' 403.
 */
import { isPrivileged } from '../../registry/authorization/privileged.ts';
import type { AuthorizationAttributes, Authorizer, Decision } from '../../registry/authorization/types.ts';
import { forbidden } from './forbidden.ts';

/** The decision for `attrs`: privileged users first, then `authorizer`; absent = everything allowed (a bare server). */
export async function decide(authorizer: Authorizer | undefined, attrs: AuthorizationAttributes): Promise<Decision> {
  if (!authorizer) return { decision: 'allow', reason: 'no authorizer' };
  if (isPrivileged(attrs.user)) return { decision: 'allow', reason: 'system:masters' };
  return authorizer.authorize(attrs);
}

/** Throws the 403 Status unless `attrs` is allowed. */
export async function authorizeRequest(authorizer: Authorizer | undefined, attrs: AuthorizationAttributes): Promise<void> {
  const d = await decide(authorizer, attrs);
  if (d.decision !== 'allow') throw forbidden(attrs, d.reason);
}
