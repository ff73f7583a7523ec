/**
 * The RBAC authorizer over real stored objects (an embedded store, the Registry, the policy's
 * informers): which bindings apply to whom, where a RoleBinding's grant ends, the reasons, the
 * escalation check, the bootstrap reconciliation and the rules review.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResource } from '../../../api/kinds.ts';
import type { KubeObject } from '../../../api/object.ts';
import type { UserInfo } from '../../../api/user.ts';
import { ApiError } from '../../../api/status.ts';
import { testCluster, waitFor, type TestCluster } from '../../test-support.ts';
import type { AuthorizationAttributes } from '../types.ts';
import { CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, ROLE_BINDINGS, ROLES } from './kinds.ts';
import { startRbac, type Rbac } from './index.ts';
import { reconcileBootstrapPolicy } from './reconcile.ts';
import { rbacRulesReview } from './rules-review.ts';

const G = 'rbac.authorization.k8s.io';
const NAMESPACES = findResource('', 'v1', 'namespaces')!;

let c: TestCluster;
let rbac: Rbac;

const alice: UserInfo = { name: 'alice', groups: ['devs', 'system:authenticated'] };
const bob: UserInfo = { name: 'bob', groups: ['system:authenticated'] };
const robot: UserInfo = { name: 'system:serviceaccount:team:robot', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] };

const can = (user: UserInfo, verb: string, resource: string, namespace = '', extra: Partial<AuthorizationAttributes & { resourceRequest: true }> = {}): boolean =>
  rbac.authorizer.authorize({ user, resourceRequest: true, verb, apiGroup: '', resource, subresource: '', namespace, name: '', ...extra }).decision === 'allow';

async function create(info: typeof ROLES, namespace: string | undefined, obj: Record<string, unknown>): Promise<KubeObject> {
  return c.registry.create(info, namespace, obj as KubeObject);
}

beforeAll(async () => {
  c = await testCluster();
  for (const ns of ['team', 'other']) await c.registry.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  rbac = await startRbac(c.store);
  await create(ROLES, 'team', { apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'pod-reader', namespace: 'team' }, rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }] });
  await create(CLUSTER_ROLES, undefined, { apiVersion: `${G}/v1`, kind: 'ClusterRole', metadata: { name: 'cm-writer' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['*'] }, { nonResourceURLs: ['/metrics'], verbs: ['get'] }] });
  await create(ROLE_BINDINGS, 'team', { apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name: 'devs-read', namespace: 'team' }, roleRef: { apiGroup: G, kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'Group', name: 'devs' }] });
  // A ClusterRole bound in one namespace grants there only, and never its non-resource rules.
  await create(ROLE_BINDINGS, 'team', { apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name: 'robot-cm', namespace: 'team' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'cm-writer' }, subjects: [{ kind: 'ServiceAccount', name: 'robot' }] });
  await create(CLUSTER_ROLE_BINDINGS, undefined, { apiVersion: `${G}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'bob-cm' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'cm-writer' }, subjects: [{ kind: 'User', name: 'bob' }] });
  await create(ROLE_BINDINGS, 'other', { apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name: 'dangling', namespace: 'other' }, roleRef: { apiGroup: G, kind: 'Role', name: 'missing' }, subjects: [{ kind: 'User', name: 'alice' }] });
  await waitFor('the policy cached', () => can(bob, 'get', 'configmaps', 'x') && can(robot, 'get', 'configmaps', 'team'));
});
afterAll(async () => {
  rbac?.stop();
  await c?.close();
});

describe('RbacAuthorizer', () => {
  it.each<[string, UserInfo, string, string, string, string, boolean]>([
    ['a group bound by a RoleBinding, in its namespace', alice, 'list', 'pods', '', 'team', true],
    ['...a subresource the Role names', alice, 'get', 'pods', 'log', 'team', true],
    ['...a verb the Role lacks', alice, 'delete', 'pods', '', 'team', false],
    ['...another namespace', alice, 'list', 'pods', '', 'other', false],
    ['...cluster-wide', alice, 'list', 'pods', '', '', false],
    ['a RoleBinding ServiceAccount without namespace is of the binding namespace', robot, 'create', 'configmaps', '', 'team', true],
    ['...and of no other', robot, 'create', 'configmaps', '', 'other', false],
    ['a ClusterRoleBinding grants in every namespace', bob, 'delete', 'configmaps', '', 'other', true],
    ['...and cluster-wide', bob, 'list', 'configmaps', '', '', true],
    ['...nothing else', bob, 'list', 'pods', '', 'team', false],
  ])('%s', (_n, user, verb, resource, subresource, namespace, allowed) => {
    expect(can(user, verb, resource, namespace, { subresource })).toBe(allowed);
  });

  it('non-resource rules count through ClusterRoleBindings only', () => {
    const path = (user: UserInfo) => rbac.authorizer.authorize({ user, resourceRequest: false, verb: 'get', path: '/metrics' }).decision;
    expect(path(bob)).toBe('allow');
    expect(path(robot)).toBe('no-opinion');
  });

  it('gives Kubernetes reasons: who allowed it, or the role that is missing', () => {
    const allowed = rbac.authorizer.authorize({ user: robot, resourceRequest: true, verb: 'get', apiGroup: '', resource: 'configmaps', subresource: '', namespace: 'team', name: '' });
    expect(allowed).toEqual({ decision: 'allow', reason: 'RBAC: allowed by RoleBinding "robot-cm/team" of ClusterRole "cm-writer" to ServiceAccount "robot/team"' });
    const crb = rbac.authorizer.authorize({ user: bob, resourceRequest: true, verb: 'get', apiGroup: '', resource: 'configmaps', subresource: '', namespace: '', name: '' });
    expect(crb.reason).toBe('RBAC: allowed by ClusterRoleBinding "bob-cm" of ClusterRole "cm-writer" to User "bob"');
    const denied = rbac.authorizer.authorize({ user: alice, resourceRequest: true, verb: 'get', apiGroup: '', resource: 'pods', subresource: '', namespace: 'other', name: '' });
    expect(denied).toEqual({ decision: 'no-opinion', reason: 'RBAC: [role.rbac.authorization.k8s.io "missing" not found]' });
    expect(rbac.authorizer.authorize({ user: bob, resourceRequest: true, verb: 'get', apiGroup: '', resource: 'pods', subresource: '', namespace: 'team', name: '' })).toEqual({ decision: 'no-opinion', reason: '' });
  });

  it('follows deletes and new bindings', async () => {
    await c.registry.delete(CLUSTER_ROLE_BINDINGS, undefined, 'bob-cm');
    await waitFor('bob loses configmaps', () => !can(bob, 'get', 'configmaps', 'team'));
    await create(CLUSTER_ROLE_BINDINGS, undefined, { apiVersion: `${G}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'bob-cm' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'cm-writer' }, subjects: [{ kind: 'User', name: 'bob' }] });
    await waitFor('bob gets configmaps again', () => can(bob, 'get', 'configmaps', 'team'));
  });

  it('lists a user rules for SelfSubjectRulesReview', () => {
    const review = rbacRulesReview(rbac.policy, robot, 'team');
    expect(review).toEqual({ resourceRules: [{ verbs: ['*'], apiGroups: [''], resources: ['configmaps'] }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }], incomplete: false });
    expect(rbacRulesReview(rbac.policy, alice, 'other')).toMatchObject({ resourceRules: [], incomplete: true, evaluationError: 'role.rbac.authorization.k8s.io "missing" not found' });
  });
});

describe('escalation prevention', () => {
  const escalation = () => rbac.escalation(rbac.authorizer);
  const attrs = (info: typeof ROLES, namespace: string | undefined, obj: Record<string, unknown>, user: UserInfo) => ({
    operation: 'CREATE' as const,
    info,
    namespace,
    name: (obj.metadata as { name: string }).name,
    obj: obj as KubeObject,
    dryRun: false,
    user,
  });

  it('a Role granting only what its writer holds is allowed; more is refused in Kubernetes words', async () => {
    const role = (rules: unknown[]) => ({ apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'r', namespace: 'team' }, rules });
    await expect(escalation().validate(attrs(ROLES, 'team', role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]), alice))).resolves.toBeUndefined();
    const refused = await escalation().validate(attrs(ROLES, 'team', role([{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'watch'] }]), alice)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).code).toBe(403);
    expect((refused as ApiError).message).toBe(
      'roles.rbac.authorization.k8s.io "r" is forbidden: user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["watch"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "watch"]}',
    );
  });

  it('a binding needs `bind` on its role, or every rule of it; a missing role is named', async () => {
    const binding = (kind: string, name: string) => ({ apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name: 'b', namespace: 'team' }, roleRef: { apiGroup: G, kind, name }, subjects: [{ kind: 'User', name: 'x' }] });
    await expect(escalation().validate(attrs(ROLE_BINDINGS, 'team', binding('Role', 'pod-reader'), alice))).resolves.toBeUndefined();
    await expect(escalation().validate(attrs(ROLE_BINDINGS, 'team', binding('ClusterRole', 'cm-writer'), alice))).rejects.toThrow(/is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["configmaps"\], Verbs:\["\*"\]\}/);
    await expect(escalation().validate(attrs(ROLE_BINDINGS, 'team', binding('Role', 'nope'), alice))).rejects.toThrow('rolebindings.rbac.authorization.k8s.io "b" is forbidden: role.rbac.authorization.k8s.io "nope" not found');
    // `bind` on that role lets the robot bind it without holding it.
    await create(ROLES, 'team', { apiVersion: `${G}/v1`, kind: 'Role', metadata: { name: 'binder', namespace: 'team' }, rules: [{ apiGroups: [G], resources: ['roles'], verbs: ['bind'], resourceNames: ['pod-reader'] }] });
    await create(ROLE_BINDINGS, 'team', { apiVersion: `${G}/v1`, kind: 'RoleBinding', metadata: { name: 'robot-binder', namespace: 'team' }, roleRef: { apiGroup: G, kind: 'Role', name: 'binder' }, subjects: [{ kind: 'ServiceAccount', name: 'robot' }] });
    await waitFor('bind granted', () => can(robot, 'bind', 'roles', 'team', { apiGroup: G, name: 'pod-reader' }));
    await expect(escalation().validate(attrs(ROLE_BINDINGS, 'team', binding('Role', 'pod-reader'), robot))).resolves.toBeUndefined();
  });

  it('system:masters and in-process writers are not checked', async () => {
    const big = { apiVersion: `${G}/v1`, kind: 'ClusterRole', metadata: { name: 'big' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] };
    await expect(escalation().validate(attrs(CLUSTER_ROLES, undefined, big, { name: 'admin', groups: ['system:masters'] }))).resolves.toBeUndefined();
    await expect(escalation().validate({ ...attrs(CLUSTER_ROLES, undefined, big, bob), user: undefined })).resolves.toBeUndefined();
    await expect(escalation().validate(attrs(CLUSTER_ROLES, undefined, { ...big, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] } }, bob))).rejects.toThrow('must have cluster-admin privileges to use the aggregationRule');
  });
});

describe('bootstrap policy reconciliation', () => {
  it('creates what is missing, then adds what an edited role lacks and keeps the additions; autoupdate false is left alone', async () => {
    const first = await reconcileBootstrapPolicy(c.registry);
    expect(first.created).toContain('clusterrole/cluster-admin');
    expect(first.created).toContain('clusterrolebinding/system:discovery');
    expect(first.updated).toEqual([]);
    expect(await reconcileBootstrapPolicy(c.registry)).toEqual({ created: [], updated: [] });

    const basic = await c.registry.get(CLUSTER_ROLES, undefined, 'system:basic-user');
    const extra = { apiGroups: ['x.io'], resources: ['things'], verbs: ['get'] };
    await c.registry.update(CLUSTER_ROLES, undefined, 'system:basic-user', { ...basic, rules: [extra] });
    const discovery = await c.registry.get(CLUSTER_ROLE_BINDINGS, undefined, 'system:discovery');
    await c.registry.update(CLUSTER_ROLE_BINDINGS, undefined, 'system:discovery', { ...discovery, subjects: [] });
    const view = await c.registry.get(CLUSTER_ROLES, undefined, 'system:public-info-viewer');
    await c.registry.update(CLUSTER_ROLES, undefined, 'system:public-info-viewer', { ...view, metadata: { ...view.metadata, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } }, rules: [] });

    const again = await reconcileBootstrapPolicy(c.registry);
    expect(again.updated.sort()).toEqual(['clusterrole/system:basic-user', 'clusterrolebinding/system:discovery']);
    const rules = ((await c.registry.get(CLUSTER_ROLES, undefined, 'system:basic-user')) as { rules: unknown[] }).rules;
    expect(rules[0]).toEqual(extra);
    expect(rules).toHaveLength(3);
    expect((await c.registry.get(CLUSTER_ROLE_BINDINGS, undefined, 'system:discovery')).subjects).toEqual([{ apiGroup: G, kind: 'Group', name: 'system:authenticated' }]);
    expect((await c.registry.get(CLUSTER_ROLES, undefined, 'system:public-info-viewer')).rules).toEqual([]);
  });

  it('makes a binding whose roleRef changed again', async () => {
    await c.registry.delete(CLUSTER_ROLE_BINDINGS, undefined, 'system:basic-user');
    await create(CLUSTER_ROLE_BINDINGS, undefined, { apiVersion: `${G}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'system:basic-user' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'cm-writer' }, subjects: [] });
    await reconcileBootstrapPolicy(c.registry);
    const b = await c.registry.get(CLUSTER_ROLE_BINDINGS, undefined, 'system:basic-user');
    expect(b.roleRef).toEqual({ apiGroup: G, kind: 'ClusterRole', name: 'system:basic-user' });
  });
});
