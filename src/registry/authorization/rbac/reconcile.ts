/**
 * The bootstrap policy reconciled at master start, as kube-apiserver's `rbac/bootstrap-roles`
 * post-start hook does (pkg/registry/rbac/reconciliation): a missing role or binding is created;
 * an existing one annotated `rbac.authorization.kubernetes.io/autoupdate: "true"` gets the
 * labels, annotations, rules (those its rules do not cover), aggregation selectors and subjects
 * it lacks — nothing is removed, so an administrator's additions stay; a binding whose roleRef
 * differs is deleted and made again (a roleRef cannot change). `autoupdate: "false"` leaves an
 * object as it is. Every master does it; the writes are compare-and-swap, so masters starting
 * together converge.
 */
import type { ClusterRole, ClusterRoleBinding, Subject } from 'kubernetes-types/rbac/v1.d.ts';
import type { KubeObject } from '../../../api/object.ts';
import { jsonEqual } from '../../../api/object.ts';
import { AUTO_UPDATE_ANNOTATION } from '../../../api/rbac/names.ts';
import { ApiError } from '../../../api/status.ts';
import type { Registry } from '../../registry.ts';
import { isNotFound, retryOnConflict } from '../../retry-on-conflict.ts';
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.ts';
import { covers } from './covers.ts';
import { CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES } from './kinds.ts';

export interface ReconcileResult {
  created: string[];
  updated: string[];
}

const autoUpdate = (o: KubeObject): boolean => o.metadata?.annotations?.[AUTO_UPDATE_ANNOTATION] !== 'false';

/** Existing metadata plus the expected labels and annotations it lacks (existing values win). */
function mergedMeta(existing: KubeObject, expected: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } }): KubeObject['metadata'] {
  return {
    ...existing.metadata,
    labels: { ...expected.metadata?.labels, ...existing.metadata?.labels },
    annotations: { ...expected.metadata?.annotations, ...existing.metadata?.annotations },
  };
}

/** The role `existing` should become: what it lacks of `expected` added. */
export function reconciledRole(existing: ClusterRole & KubeObject, expected: ClusterRole): ClusterRole & KubeObject {
  const out = { ...existing, metadata: mergedMeta(existing, expected) } as ClusterRole & KubeObject;
  const rules = existing.rules ?? [];
  const lacking = (expected.rules ?? []).filter((r) => !covers(rules, [r]).covered);
  if (lacking.length) out.rules = [...rules, ...structuredClone(lacking)];
  if (expected.aggregationRule) {
    const selectors = existing.aggregationRule?.clusterRoleSelectors ?? [];
    const missing = (expected.aggregationRule.clusterRoleSelectors ?? []).filter((s) => !selectors.some((e) => jsonEqual(e, s)));
    if (missing.length) out.aggregationRule = { clusterRoleSelectors: [...selectors, ...structuredClone(missing)] };
  }
  return out;
}

/** The binding `existing` should become: the subjects it lacks added. */
export function reconciledBinding(existing: ClusterRoleBinding & KubeObject, expected: ClusterRoleBinding): ClusterRoleBinding & KubeObject {
  const subjects = existing.subjects ?? [];
  const missing = (expected.subjects ?? []).filter((s: Subject) => !subjects.some((e) => e.kind === s.kind && e.name === s.name && (e.namespace ?? '') === (s.namespace ?? '')));
  return { ...existing, metadata: mergedMeta(existing, expected), subjects: [...subjects, ...structuredClone(missing)] } as ClusterRoleBinding & KubeObject;
}

async function createIfMissing(registry: Registry, info: typeof CLUSTER_ROLES, obj: KubeObject): Promise<boolean> {
  try {
    await registry.create(info, undefined, structuredClone(obj));
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'AlreadyExists') return false;
    throw err;
  }
}

/** Reconciles every bootstrap ClusterRole and ClusterRoleBinding through `registry`. */
export async function reconcileBootstrapPolicy(registry: Registry): Promise<ReconcileResult> {
  const result: ReconcileResult = { created: [], updated: [] };
  for (const expected of BOOTSTRAP_CLUSTER_ROLES) {
    const name = expected.metadata!.name!;
    await retryOnConflict(async () => {
      const existing = await registry.get(CLUSTER_ROLES, undefined, name).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      if (!existing) {
        if (await createIfMissing(registry, CLUSTER_ROLES, expected as KubeObject)) result.created.push(`clusterrole/${name}`);
        else throw new ApiError(409, 'Conflict', 'created meanwhile; read it again');
        return;
      }
      if (!autoUpdate(existing)) return;
      const wanted = reconciledRole(existing as ClusterRole & KubeObject, expected);
      if (jsonEqual(wanted, existing)) return;
      await registry.update(CLUSTER_ROLES, undefined, name, wanted);
      result.updated.push(`clusterrole/${name}`);
    });
  }
  for (const expected of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) {
    const name = expected.metadata!.name!;
    await retryOnConflict(async () => {
      const existing = await registry.get(CLUSTER_ROLE_BINDINGS, undefined, name).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      if (!existing) {
        if (await createIfMissing(registry, CLUSTER_ROLE_BINDINGS, expected as unknown as KubeObject)) result.created.push(`clusterrolebinding/${name}`);
        else throw new ApiError(409, 'Conflict', 'created meanwhile; read it again');
        return;
      }
      if (!autoUpdate(existing)) return;
      const binding = existing as ClusterRoleBinding & KubeObject;
      if (!jsonEqual(binding.roleRef, expected.roleRef)) {
        // A roleRef never changes: the binding is made again (Kubernetes' ReconcileRecreate).
        await registry.delete(CLUSTER_ROLE_BINDINGS, undefined, name, { preconditions: { resourceVersion: existing.metadata?.resourceVersion } });
        throw new ApiError(409, 'Conflict', 'recreated; read it again');
      }
      const wanted = reconciledBinding(binding, expected);
      if (jsonEqual(wanted, existing)) return;
      await registry.update(CLUSTER_ROLE_BINDINGS, undefined, name, wanted);
      result.updated.push(`clusterrolebinding/${name}`);
    });
  }
  return result;
}
