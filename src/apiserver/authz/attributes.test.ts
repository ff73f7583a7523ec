import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { UserInfo } from '../../api/user.ts';
import { route } from '../http/router.ts';
import { requestAttributes } from './attributes.ts';
import { forbidden } from './forbidden.ts';

const user: UserInfo = { name: 'u', groups: ['system:authenticated'] };
const attrs = (method: string, path: string) => {
  const url = new URL(path, 'https://x');
  return requestAttributes({ method } as IncomingMessage, route(url.pathname), url, user);
};
const res = (verb: string, apiGroup: string, resource: string, namespace = '', name = '', subresource = '') => ({ user, resourceRequest: true, verb, apiGroup, resource, subresource, namespace, name });
const path = (verb: string, p: string) => ({ user, resourceRequest: false, verb, path: p });

describe('request attributes (Kubernetes RequestInfo)', () => {
  it.each<[string, string, unknown]>([
    ['GET', '/api/v1/namespaces/ns/pods', res('list', '', 'pods', 'ns')],
    ['GET', '/api/v1/pods', res('list', '', 'pods')],
    ['GET', '/api/v1/namespaces/ns/pods/p', res('get', '', 'pods', 'ns', 'p')],
    ['GET', '/api/v1/namespaces/ns/pods?watch=1', res('watch', '', 'pods', 'ns')],
    ['GET', '/api/v1/watch/namespaces/ns/pods', res('watch', '', 'pods', 'ns')],
    ['GET', '/api/v1/namespaces/ns/pods?watch=true&fieldSelector=metadata.name%3Dp', res('watch', '', 'pods', 'ns', 'p')],
    ['GET', '/api/v1/namespaces/ns/pods?fieldSelector=status.phase%3DRunning', res('list', '', 'pods', 'ns')],
    ['POST', '/apis/apps/v1/namespaces/ns/deployments', res('create', 'apps', 'deployments', 'ns')],
    ['PUT', '/apis/apps/v1/namespaces/ns/deployments/d', res('update', 'apps', 'deployments', 'ns', 'd')],
    ['PATCH', '/apis/apps/v1/namespaces/ns/deployments/d/scale', res('patch', 'apps', 'deployments', 'ns', 'd', 'scale')],
    ['PUT', '/api/v1/namespaces/ns/pods/p/status', res('update', '', 'pods', 'ns', 'p', 'status')],
    ['DELETE', '/api/v1/namespaces/ns/pods/p', res('delete', '', 'pods', 'ns', 'p')],
    ['DELETE', '/api/v1/namespaces/ns/pods', res('deletecollection', '', 'pods', 'ns')],
    ['POST', '/api/v1/namespaces/ns/pods/p/binding', res('create', '', 'pods', 'ns', 'p', 'binding')],
    ['POST', '/api/v1/namespaces/ns/serviceaccounts/sa/token', res('create', '', 'serviceaccounts', 'ns', 'sa', 'token')],
    ['GET', '/api/v1/namespaces/ns/pods/p/log', res('get', '', 'pods', 'ns', 'p', 'log')],
    ['GET', '/api/v1/namespaces/ns/pods/p/exec', res('create', '', 'pods', 'ns', 'p', 'exec')],
    ['GET', '/api/v1/namespaces/ns/pods/p/attach', res('create', '', 'pods', 'ns', 'p', 'attach')],
    ['GET', '/api/v1/namespaces/ns/pods/p/portforward', res('create', '', 'pods', 'ns', 'p', 'portforward')],
    ['GET', '/api/v1/namespaces/team', res('get', '', 'namespaces', 'team', 'team')],
    ['GET', '/api/v1/namespaces', res('list', '', 'namespaces')],
    ['GET', '/api/v1/nodes/n1', res('get', '', 'nodes', '', 'n1')],
    ['GET', '/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods', res('list', 'metrics.k8s.io', 'pods', 'ns')],
    ['POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', res('create', 'authorization.k8s.io', 'selfsubjectaccessreviews')],
    ['GET', '/kactus/v1/history/Pod/ns/p', res('get', '', 'pods', 'ns', 'p')],
    ['GET', '/kactus/v1/history/Node/_/n1', res('get', '', 'nodes', '', 'n1')],
    ['GET', '/kactus/v1/history/Deployment/ns/d', res('get', 'apps', 'deployments', 'ns', 'd')],
    ['GET', '/api', path('get', '/api')],
    ['GET', '/apis/apps/v1', path('get', '/apis/apps/v1')],
    ['GET', '/openapi/v3/apis/apps/v1', path('get', '/openapi/v3/apis/apps/v1')],
    ['GET', '/version', path('get', '/version')],
    ['GET', '/metrics', path('get', '/metrics')],
    ['GET', '/kactus/v1/machines', path('get', '/kactus/v1/machines')],
  ])('%s %s', (method, p, want) => {
    expect(attrs(method, p)).toEqual(want);
  });

  it('leaves health checks and the dashboard files to no one', () => {
    expect(attrs('GET', '/healthz')).toBeUndefined();
    expect(attrs('GET', '/ui/index.html')).toBeUndefined();
  });
});

describe('the 403 Status (responsewriters.Forbidden)', () => {
  it.each<[string, unknown, string, unknown]>([
    ['namespaced', res('create', '', 'pods', 'default'), 'pods is forbidden: User "u" cannot create resource "pods" in API group "" in the namespace "default"', { kind: 'pods' }],
    ['named, grouped, with a subresource', res('update', 'apps', 'deployments', 'ns', 'web', 'scale'), 'deployments.apps "web" is forbidden: User "u" cannot update resource "deployments/scale" in API group "apps" in the namespace "ns"', { name: 'web', group: 'apps', kind: 'deployments' }],
    ['cluster scope', res('list', '', 'nodes'), 'nodes is forbidden: User "u" cannot list resource "nodes" in API group "" at the cluster scope', { kind: 'nodes' }],
    ['a path', path('get', '/metrics'), 'forbidden: User "u" cannot get path "/metrics"', {}],
  ])('%s', (_n, a, message, details) => {
    const err = forbidden(a as never, '');
    expect(err.toStatus()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 });
  });

  it('adds the authorizer reason, escaping markup as Kubernetes does', () => {
    const err = forbidden({ ...res('get', '', 'pods', 'ns'), user: { name: '<x>', groups: [] } } as never, 'node "n1" cannot read pods of node "n2"');
    expect(err.message).toBe('pods is forbidden: User "&lt;x&gt;" cannot get resource "pods" in API group "" in the namespace "ns": node "n1" cannot read pods of node "n2"');
  });
});
