/**
 * RBAC's names as Kubernetes spells them (k8s.io/api/rbac/v1): the group, the subject and role
 * kinds, and the annotation and labels the bootstrap policy and aggregation use.
 */

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const RBAC_API_VERSION = `${RBAC_GROUP}/v1`;

export const SUBJECT_KINDS = ['ServiceAccount', 'User', 'Group'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** Bootstrap roles carrying it are reconciled at every master start (missing rules added). */
export const AUTO_UPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
/** The label every bootstrap role and binding carries. */
export const BOOTSTRAPPING_LABEL = 'kubernetes.io/bootstrapping';
export const BOOTSTRAPPING_VALUE = 'rbac-defaults';
/** `rbac.authorization.k8s.io/aggregate-to-view` and so on: what the default roles aggregate. */
export const aggregateLabel = (role: 'admin' | 'edit' | 'view'): string => `${RBAC_GROUP}/aggregate-to-${role}`;

/** The user name of a ServiceAccount: `system:serviceaccount:<namespace>:<name>`. */
export function serviceAccountUserName(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** `{namespace, name}` of a ServiceAccount user name; undefined for any other user. */
export function parseServiceAccountUserName(user: string): { namespace: string; name: string } | undefined {
  const prefix = 'system:serviceaccount:';
  if (!user.startsWith(prefix)) return undefined;
  const parts = user.slice(prefix.length).split(':');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return undefined;
  return { namespace: parts[0]!, name: parts[1]! };
}
