/**
 * RBAC escalation prevention (Kubernetes' rbac policybased storage and
 * rbac/validation `ConfirmNoEscalation`), as a validating admission plugin on the four RBAC
 * kinds. A user may write a Role or ClusterRole only with `escalate` on it or when it already
 * holds every rule the role grants; a RoleBinding or ClusterRoleBinding only with `bind` on the
 * role it names or when it holds every rule of that role (in the binding's namespace). Setting a
 * ClusterRole's aggregationRule needs `escalate` or every permission (`*` on everything).
 * `system:masters` and in-process writers (no user) are not checked; nor are updates that change
 * only what garbage collection changes (owner references, finalizers).
 */
import type { ClusterRole, PolicyRule, RoleRef } from 'kubernetes-types/rbac/v1.d.ts';
import type { KubeObject } from '../../../api/object.ts';
import { jsonEqual } from '../../../api/object.ts';
import { RBAC_GROUP } from '../../../api/rbac/names.ts';
import { ApiError } from '../../../api/status.ts';
import type { UserInfo } from '../../../api/user.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../../admission/types.ts';
import { isPrivileged } from '../privileged.ts';
import type { Authorizer } from '../types.ts';
import { compactRules, compactString, covers, goQuotedList } from './covers.ts';
import type { RbacPolicy } from './policy.ts';
import type { Binding } from './subject-index.ts';

/** What `*` on everything is: the rules a ClusterRole's aggregationRule needs. */
const FULL_AUTHORITY: PolicyRule[] = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
  { nonResourceURLs: ['*'], verbs: ['*'] },
];

export interface EscalationOptions {
  policy: RbacPolicy;
  /** Asked for `escalate` and `bind` (the server's whole chain, as Kubernetes asks its authorizer). */
  authorizer: Authorizer;
}

export class RbacEscalationAdmission implements AdmissionPlugin {
  readonly name = 'RBACEscalation';

  constructor(private readonly opts: EscalationOptions) {}

  async validate(attrs: AdmissionAttributes): Promise<void> {
    const { info, user } = attrs;
    if (info.group !== RBAC_GROUP || !user || isPrivileged(user)) return;
    if (attrs.old && onlyGcFieldsChanged(attrs.old, attrs.obj)) return;
    const namespace = info.namespaced ? (attrs.namespace ?? '') : '';
    if (info.kind === 'Role' || info.kind === 'ClusterRole') {
      if (await this.allowed(user, 'escalate', info.resource, namespace, attrs.name)) return;
      const role = attrs.obj as ClusterRole & KubeObject;
      if (info.kind === 'ClusterRole' && role.aggregationRule) {
        if (this.missing(user, '', FULL_AUTHORITY) !== undefined) {
          throw ApiError.forbidden(info, attrs.name, 'must have cluster-admin privileges to use the aggregationRule');
        }
      }
      const message = this.missing(user, namespace, role.rules ?? []);
      if (message !== undefined) throw ApiError.forbidden(info, attrs.name, message);
      return;
    }
    if (info.kind === 'RoleBinding' || info.kind === 'ClusterRoleBinding') {
      const ref = (attrs.obj as Binding).roleRef as RoleRef;
      const roleResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
      if (await this.allowed(user, 'bind', roleResource, namespace, ref.name)) return;
      const found = this.opts.policy.rulesOfRef(ref, namespace);
      if ('err' in found) throw ApiError.forbidden(info, attrs.name, found.err);
      const message = this.missing(user, namespace, found.rules);
      if (message !== undefined) throw ApiError.forbidden(info, attrs.name, message);
    }
  }

  private async allowed(user: UserInfo, verb: string, resource: string, namespace: string, name: string): Promise<boolean> {
    const d = await this.opts.authorizer.authorize({ user, resourceRequest: true, verb, apiGroup: RBAC_GROUP, resource, subresource: '', namespace, name });
    return d.decision === 'allow';
  }

  /** `ConfirmNoEscalation`: undefined when the user holds `rules` in `namespace`, else Kubernetes' message. */
  private missing(user: UserInfo, namespace: string, rules: readonly PolicyRule[]): string | undefined {
    const owner = this.opts.policy.rulesFor(user, namespace);
    const { covered, missing } = covers(owner.rules, rules);
    if (covered) return undefined;
    const lines = [...new Set(compactRules(missing).map(compactString))].sort();
    let msg = `user ${JSON.stringify(user.name)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
    if (owner.errors.length) msg += `; resolution errors: [${owner.errors.join(', ')}]`;
    return msg;
  }
}

/** `IsOnlyMutatingGCFields`: the objects equal once owner references and finalizers are set aside. */
function onlyGcFieldsChanged(old: KubeObject, obj: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => {
    const copy = structuredClone(o);
    if (copy.metadata) {
      delete copy.metadata.ownerReferences;
      delete copy.metadata.finalizers;
      delete copy.metadata.resourceVersion;
    }
    return copy;
  };
  return jsonEqual(strip(old), strip(obj));
}
