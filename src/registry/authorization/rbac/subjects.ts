/**
 * Who a binding's subject is (Kubernetes' rbac `appliesToUser`): a User by name, a Group among
 * the user's groups, a ServiceAccount by its user name `system:serviceaccount:<ns>:<name>` — a
 * RoleBinding's ServiceAccount without a namespace is one of the binding's own namespace.
 * `subjectKey` / `userKeys` give both sides one spelling, so bindings are indexed by subject.
 */
import type { Subject } from 'kubernetes-types/rbac/v1.d.ts';
import type { UserInfo } from '../../../api/user.ts';
import { parseServiceAccountUserName } from '../../../api/rbac/names.ts';

/** The index key of a subject (`bindingNamespace`: a RoleBinding's, '' for a ClusterRoleBinding); undefined for one that names nobody. */
export function subjectKey(subject: Subject, bindingNamespace: string): string | undefined {
  switch (subject.kind) {
    case 'User':
      return `User:${subject.name}`;
    case 'Group':
      return `Group:${subject.name}`;
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return namespace ? `ServiceAccount:${namespace}/${subject.name}` : undefined;
    }
    default:
      return undefined;
  }
}

/** Every key a subject naming `user` may have: its name, each group, and the ServiceAccount it is. */
export function userKeys(user: UserInfo): string[] {
  const keys = [`User:${user.name}`, ...user.groups.map((g) => `Group:${g}`)];
  const sa = parseServiceAccountUserName(user.name);
  if (sa) keys.push(`ServiceAccount:${sa.namespace}/${sa.name}`);
  return keys;
}

/** `appliesToUser`: whether `subject` (of a binding in `bindingNamespace`) names `user`. */
export function appliesToUser(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  const key = subjectKey(subject, bindingNamespace);
  return key !== undefined && userKeys(user).includes(key);
}

/** How RBAC's reasons name a subject: `User "alice"`, `Group "system:masters"`, `ServiceAccount "viewer/default"`. */
export function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') return `ServiceAccount ${JSON.stringify(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  return `${subject.kind} ${JSON.stringify(subject.name)}`;
}
