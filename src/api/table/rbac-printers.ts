/**
 * kubectl's columns for the RBAC kinds (pkg/printers/internalversion/printers.go): roles print
 * NAME and CREATED AT (RFC 3339, UTC), bindings NAME, ROLE (`Kind/name`) and AGE, with the
 * users, groups and ServiceAccounts (`namespace/name`) of their subjects in `-o wide`.
 */
import type { Subject } from 'kubernetes-types/rbac/v1.d.ts';
import type { KubeObject } from '../object.ts';
import type { Printer } from './printers.ts';
import type { TableColumnDefinition } from '../table.ts';
import { age } from './duration.ts';

type Column = Pick<TableColumnDefinition, 'name'> & Partial<TableColumnDefinition>;

/** `rbac.SubjectsStrings`: users, groups and ServiceAccounts (`ns/name`), each in binding order. */
export function subjectsStrings(subjects: readonly Subject[] | undefined): { users: string[]; groups: string[]; serviceAccounts: string[] } {
  const out = { users: [] as string[], groups: [] as string[], serviceAccounts: [] as string[] };
  for (const s of subjects ?? []) {
    if (s.kind === 'User') out.users.push(s.name);
    else if (s.kind === 'Group') out.groups.push(s.name);
    else if (s.kind === 'ServiceAccount') out.serviceAccounts.push(`${s.namespace ?? ''}/${s.name}`);
  }
  return out;
}

/** The four RBAC printers, keyed `apiVersion/Kind`; `name` and `age` are the shared NAME and AGE columns. */
export function rbacPrinters(name: Column, ageColumn: Column): Record<string, Printer> {
  const createdAt: Column = { name: 'Created At', type: 'date', description: ageColumn.description ?? '' };
  const role: Printer = {
    columns: [name, createdAt],
    cells: (obj) => {
      const created = obj.metadata?.creationTimestamp;
      return [obj.metadata?.name ?? '', typeof created === 'string' ? new Date(created).toISOString().replace(/\.\d{3}Z$/, 'Z') : ''];
    },
  };
  const binding: Printer = {
    columns: [
      name,
      { name: 'Role', description: 'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.' },
      ageColumn,
      { name: 'Users', priority: 1, description: 'Users in the roleBinding' },
      { name: 'Groups', priority: 1, description: 'Groups in the roleBinding' },
      { name: 'ServiceAccounts', priority: 1, description: 'ServiceAccounts in the roleBinding' },
    ],
    cells: (obj: KubeObject, now: Date) => {
      const ref = (obj as { roleRef?: { kind?: string; name?: string } }).roleRef;
      const { users, groups, serviceAccounts } = subjectsStrings((obj as { subjects?: Subject[] }).subjects);
      return [obj.metadata?.name ?? '', `${ref?.kind ?? ''}/${ref?.name ?? ''}`, age(obj.metadata?.creationTimestamp, now), users.join(', '), groups.join(', '), serviceAccounts.join(', ')];
    },
  };
  return {
    'rbac.authorization.k8s.io/v1/Role': role,
    'rbac.authorization.k8s.io/v1/ClusterRole': role,
    'rbac.authorization.k8s.io/v1/RoleBinding': binding,
    'rbac.authorization.k8s.io/v1/ClusterRoleBinding': binding,
  };
}
