/**
 * The RBAC objects as an authorizer reads them: Roles, ClusterRoles and the two binding kinds
 * from shared informers (one list and one watch each per process, src/registry/informers.ts),
 * bindings indexed by subject (subject-index.ts). `visitRulesFor` is Kubernetes'
 * `VisitRulesFor`: each rule the user holds through a ClusterRoleBinding, then (for a
 * namespace) through that namespace's RoleBindings, with the binding that grants it; a check
 * never scans every binding nor reads the store.
 */
import type { ClusterRole, PolicyRule, Role, RoleRef } from 'kubernetes-types/rbac/v1.d.ts';
import { objectKey } from '../../../api/metadata.ts';
import type { UserInfo } from '../../../api/user.ts';
import type { Store } from '../../../store/types.ts';
import { objectInformer, type ObjectInformer } from '../../informers.ts';
import { CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, ROLE_BINDINGS, ROLES } from './kinds.ts';
import { SubjectIndex, type Binding } from './subject-index.ts';
import { appliesToUser, userKeys } from './subjects.ts';

/** Where a rule came from: the binding, the role it names, and the subject that matched. */
export interface RuleSource {
  binding: Binding;
  /** `ClusterRoleBinding` or `RoleBinding`. */
  bindingKind: 'ClusterRoleBinding' | 'RoleBinding';
}

/** Called per rule; return false to stop. `err` names a role that is missing. */
export type RuleVisitor = (source: RuleSource | undefined, rule: PolicyRule | undefined, err: string | undefined) => boolean;

export class RbacPolicy {
  private readonly roles: ObjectInformer;
  private readonly clusterRoles: ObjectInformer;
  private readonly roleBindings: ObjectInformer;
  private readonly clusterRoleBindings: ObjectInformer;
  private readonly namespaced = new SubjectIndex();
  private readonly cluster = new SubjectIndex();

  constructor(store: Store) {
    this.roles = objectInformer(store, ROLES);
    this.clusterRoles = objectInformer(store, CLUSTER_ROLES);
    this.roleBindings = objectInformer(store, ROLE_BINDINGS, this.namespaced.handlers);
    this.clusterRoleBindings = objectInformer(store, CLUSTER_ROLE_BINDINGS, this.cluster.handlers);
  }

  /** Lists and watches the four kinds; resolves once every cache holds its first list. */
  async start(): Promise<void> {
    await Promise.all([this.roles.start(), this.clusterRoles.start(), this.roleBindings.start(), this.clusterRoleBindings.start()]);
  }

  stop(): void {
    for (const i of [this.roles, this.clusterRoles, this.roleBindings, this.clusterRoleBindings]) i.stop();
  }

  clusterRole(name: string): ClusterRole | undefined {
    return this.clusterRoles.get(objectKey(CLUSTER_ROLES, undefined, name)) as ClusterRole | undefined;
  }

  role(namespace: string, name: string): Role | undefined {
    return this.roles.get(objectKey(ROLES, namespace, name)) as Role | undefined;
  }

  /** The ClusterRoleBindings naming `user`, and (with a namespace) that namespace's RoleBindings. */
  bindingsFor(user: UserInfo, namespace: string): { cluster: Binding[]; namespaced: Binding[] } {
    const keys = userKeys(user);
    return { cluster: this.cluster.find('', keys), namespaced: namespace ? this.namespaced.find(namespace, keys) : [] };
  }

  /** The rules of the role a binding names; a message when that role does not exist. */
  rulesOf(binding: Binding): { rules: PolicyRule[] } | { err: string } {
    return this.rulesOfRef(binding.roleRef, binding.metadata?.namespace ?? '');
  }

  /** The rules of the role `ref` names, for a binding in `ns` ('' for a ClusterRoleBinding). */
  rulesOfRef(ref: RoleRef, ns: string): { rules: PolicyRule[] } | { err: string } {
    const role = ref.kind === 'ClusterRole' ? this.clusterRole(ref.name) : ref.kind === 'Role' && ns ? this.role(ns, ref.name) : undefined;
    if (!role) return { err: `${ref.kind === 'Role' ? 'role' : 'clusterrole'}.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` };
    return { rules: role.rules ?? [] };
  }

  /** Kubernetes' `VisitRulesFor`: every rule `user` holds in `namespace` ('' = cluster-wide only). */
  visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): void {
    const { cluster, namespaced } = this.bindingsFor(user, namespace);
    const walk = (bindings: Binding[], bindingKind: RuleSource['bindingKind']): boolean => {
      for (const binding of bindings) {
        // The index is by subject key; confirm (a binding in the index always matches, this is cheap).
        if (!(binding.subjects ?? []).some((s) => appliesToUser(user, s, binding.metadata?.namespace ?? ''))) continue;
        const found = this.rulesOf(binding);
        if ('err' in found) {
          if (!visit(undefined, undefined, found.err)) return false;
          continue;
        }
        for (const rule of found.rules) if (!visit({ binding, bindingKind }, rule, undefined)) return false;
      }
      return true;
    };
    if (walk(cluster, 'ClusterRoleBinding')) walk(namespaced, 'RoleBinding');
  }

  /** Every rule `user` holds in `namespace` (cluster-wide ones included), and the missing roles met. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (_source, rule, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }
}
