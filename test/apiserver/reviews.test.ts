/**
 * The review kinds over HTTP (src/apiserver/handlers/reviews.ts), with RBAC as the server's
 * authorizer: SelfSubjectReview names the requester; SubjectAccessReview and
 * LocalSubjectAccessReview answer for another user what the server itself would decide;
 * SelfSubjectRulesReview lists rules; bad specs are 422 in Kubernetes' words; nothing is stored
 * and nothing but POST is served. Impersonation is checked as `impersonate`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResource } from '../../src/api/kinds.ts';
import type { UserInfo } from '../../src/api/user.ts';
import { reconcileBootstrapPolicy, startRbac, type Rbac } from '../../src/registry/authorization/rbac/index.ts';
import type { Authorizer } from '../../src/registry/authorization/types.ts';
import { waitFor } from '../support/wait.ts';
import { startTestCluster, type TestCluster } from './harness.ts';

const USERS: Record<string, UserInfo> = { 'dana-token': { name: 'dana', groups: ['ops', 'system:authenticated'], extra: { team: ['blue'] } } };
const AUTHZ = '/apis/authorization.k8s.io/v1';
const G = 'rbac.authorization.k8s.io';

let c: TestCluster;
let rbac: Rbac | undefined;

beforeAll(async () => {
  const lazy: Authorizer = { authorize: (a) => rbac!.authorizer.authorize(a) };
  c = await startTestCluster({ server: { authorizer: lazy, rulesReview: (u, ns) => rbac!.rulesReview(u, ns), tokens: (t) => USERS[t] } });
  rbac = await startRbac(c.store);
  await reconcileBootstrapPolicy(c.server.registry);
  await c.server.registry.create(findResource('', 'v1', 'namespaces')!, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops' } });
  await c.server.registry.create(findResource(G, 'v1', 'rolebindings')!, 'ops', {
    apiVersion: `${G}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'ops-edit', namespace: 'ops' },
    roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: G, kind: 'Group', name: 'ops' }],
  });
  await waitFor('the binding in force', async () => (await c.client.get('/api/v1/namespaces/ops/pods', { token: 'dana-token' })).status === 200);
});
afterAll(async () => {
  rbac?.stop();
  await c?.close();
});

const sar = (spec: Record<string, unknown>, kind = 'SubjectAccessReview') => ({ apiVersion: 'authorization.k8s.io/v1', kind, spec });

describe('review kinds', () => {
  it('SelfSubjectReview names the requester, groups and extra', async () => {
    const r = await c.client.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { token: 'dana-token' });
    expect(r.status).toBe(201);
    expect(r.body.status).toEqual({ userInfo: { username: 'dana', groups: ['ops', 'system:authenticated'], extra: { team: ['blue'] } } });
  });

  it('SubjectAccessReview answers for another user as the server decides; needs create on it', async () => {
    const as = (namespace: string, verb = 'delete') => sar({ user: 'dana', groups: ['ops'], resourceAttributes: { namespace, verb, resource: 'pods' } });
    const yes = await c.client.post(`${AUTHZ}/subjectaccessreviews`, as('ops'));
    expect([yes.status, yes.body.status]).toEqual([201, { allowed: true, reason: 'RBAC: allowed by RoleBinding "ops-edit/ops" of ClusterRole "cluster-admin" to Group "ops"' }]);
    const no = await c.client.post(`${AUTHZ}/subjectaccessreviews`, as('default'));
    expect(no.body.status).toEqual({ allowed: false });
    const path = await c.client.post(`${AUTHZ}/subjectaccessreviews`, sar({ groups: ['system:authenticated'], nonResourceAttributes: { path: '/apis/apps', verb: 'get' } }));
    expect((path.body.status as { allowed: boolean }).allowed).toBe(true);
    // dana may not ask about others (system:basic-user gives only the Self* reviews).
    const refused = await c.client.post(`${AUTHZ}/subjectaccessreviews`, as('ops'), { token: 'dana-token' });
    expect([refused.status, (refused.body as { message?: string }).message]).toEqual([403, 'subjectaccessreviews.authorization.k8s.io is forbidden: User "dana" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope']);
  });

  it('LocalSubjectAccessReview is for its own namespace', async () => {
    const local = (ns: string, body: Record<string, unknown>) => c.client.post(`${AUTHZ}/namespaces/${ns}/localsubjectaccessreviews`, sar(body, 'LocalSubjectAccessReview'), { token: 'dana-token' });
    const r = await local('ops', { user: 'dana', groups: ['ops'], resourceAttributes: { verb: 'get', resource: 'secrets' } });
    expect([r.status, (r.body.status as { allowed: boolean }).allowed]).toEqual([201, true]);
    const other = await local('ops', { user: 'dana', resourceAttributes: { namespace: 'default', verb: 'get', resource: 'secrets' } });
    expect([other.status, (other.body as { message?: string }).message]).toEqual([400, 'spec.resourceAttributes.namespace must match namespace: ops']);
  });

  it('SelfSubjectRulesReview lists the rules in a namespace', async () => {
    const r = await c.client.post(`${AUTHZ}/selfsubjectrulesreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'ops' } }, { token: 'dana-token' });
    const status = r.body.status as { resourceRules: { verbs: string[]; resources: string[] }[]; incomplete: boolean };
    expect(status.incomplete).toBe(false);
    expect(status.resourceRules).toContainEqual({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    expect(status.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
  });

  it('bad specs are 422; only POST is served', async () => {
    const both = await c.client.post(`${AUTHZ}/subjectaccessreviews`, sar({ user: 'x', resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/', verb: 'get' } }));
    expect([both.status, (both.body as { message?: string }).message]).toEqual([
      422,
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/", Verb:"get"}: cannot be specified in combination with resourceAttributes',
    ]);
    const nobody = await c.client.post(`${AUTHZ}/subjectaccessreviews`, sar({ resourceAttributes: { verb: 'get' } }));
    expect((nobody.body as { message?: string }).message).toContain('spec.user: Invalid value: "": at least one of user or group must be specified');
    expect((await c.client.get(`${AUTHZ}/subjectaccessreviews`)).status).toBe(405);
  });

  it('impersonation needs `impersonate`; the admin may, and then acts as that user', async () => {
    const asDana = { 'Impersonate-User': 'dana', 'Impersonate-Group': 'ops' };
    const r = await c.client.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, headers: asDana });
    expect(r.body.status).toEqual({ userInfo: { username: 'dana', groups: ['ops', 'system:authenticated'] } });
    const denied = await c.client.request('GET', '/api/v1/namespaces/default/pods', { headers: asDana });
    expect(denied.status).toBe(403);
    const refused = await c.client.request('GET', '/api/v1/namespaces/ops/pods', { token: 'dana-token', headers: { 'Impersonate-User': 'admin' } });
    expect((refused.body as { message?: string }).message).toBe('users "admin" is forbidden: User "dana" cannot impersonate resource "users" in API group "" at the cluster scope');
    const groupsOnly = await c.client.request('GET', '/api', { headers: { 'Impersonate-Group': 'ops' } });
    expect(groupsOnly.status).toBe(400);
  });
});
