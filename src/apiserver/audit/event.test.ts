import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { route } from '../http/router.ts';
import { auditEvent, auditTarget, microTime, sourceIPs } from './event.ts';

function request(method: string, url: string, headers: Record<string, string> = {}, remoteAddress = '::ffff:127.0.0.1'): IncomingMessage {
  return { method, url, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

const target = (method: string, url: string, headers: Record<string, string> = {}) => auditTarget(request(method, url, headers), route(new URL(url, 'https://x').pathname));

describe('auditTarget: Kubernetes\' verbs and objectRef', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/pods', 'list', { resource: 'pods', namespace: 'default', apiVersion: 'v1' }],
    ['GET', '/api/v1/namespaces/default/pods?watch=true', 'watch', { resource: 'pods', namespace: 'default', apiVersion: 'v1' }],
    ['GET', '/api/v1/watch/namespaces/default/pods', 'watch', { resource: 'pods', namespace: 'default', apiVersion: 'v1' }],
    ['GET', '/api/v1/namespaces/default/secrets/s', 'get', { resource: 'secrets', namespace: 'default', name: 's', apiVersion: 'v1' }],
    ['POST', '/apis/apps/v1/namespaces/ns/deployments', 'create', { resource: 'deployments', namespace: 'ns', apiGroup: 'apps', apiVersion: 'v1' }],
    ['PUT', '/apis/apps/v1/namespaces/ns/deployments/d/scale', 'update', { resource: 'deployments', namespace: 'ns', name: 'd', apiGroup: 'apps', apiVersion: 'v1', subresource: 'scale' }],
    ['PATCH', '/api/v1/nodes/n1/status', 'patch', { resource: 'nodes', name: 'n1', apiVersion: 'v1', subresource: 'status' }],
    ['DELETE', '/api/v1/namespaces/default/configmaps', 'deletecollection', { resource: 'configmaps', namespace: 'default', apiVersion: 'v1' }],
    ['DELETE', '/api/v1/namespaces/default/configmaps/c', 'delete', { resource: 'configmaps', namespace: 'default', name: 'c', apiVersion: 'v1' }],
    ['GET', '/api/v1/namespaces/default/pods/p/log', 'get', { resource: 'pods', namespace: 'default', name: 'p', apiVersion: 'v1', subresource: 'log' }],
    ['GET', '/api/v1/namespaces/default/pods/p/exec', 'create', { resource: 'pods', namespace: 'default', name: 'p', apiVersion: 'v1', subresource: 'exec' }],
    ['POST', '/api/v1/namespaces/default/serviceaccounts/sa/token', 'create', { resource: 'serviceaccounts', namespace: 'default', name: 'sa', apiVersion: 'v1', subresource: 'token' }],
  ])('%s %s → %s', (method, url, verb, objectRef) => {
    expect(target(method, url)).toEqual({ verb, objectRef });
  });

  it('an apply patch is a patch', () => {
    expect(target('PATCH', '/api/v1/namespaces/default/configmaps/c', { 'content-type': 'application/apply-patch+yaml' }).verb).toBe('patch');
  });

  it('non-resource URLs: the HTTP verb and no objectRef', () => {
    expect(target('GET', '/apis')).toEqual({ verb: 'get' });
    expect(target('GET', '/openapi/v3')).toEqual({ verb: 'get' });
    expect(auditTarget(request('GET', '/nothing/here'), undefined)).toEqual({ verb: 'get' });
  });
});

describe('auditEvent', () => {
  it('is an audit.k8s.io/v1 Event at Metadata level with the user, IPs, agent and times', () => {
    const req = request('POST', '/api/v1/namespaces/default/configmaps', { 'user-agent': 'kubectl/v1.32.4 (linux/amd64)', 'x-forwarded-for': '10.0.0.9, 10.0.0.8' });
    const ev = auditEvent({
      auditID: 'a1',
      req,
      route: route('/api/v1/namespaces/default/configmaps'),
      user: { name: 'system:serviceaccount:default:viewer', uid: 'u-1', groups: ['system:serviceaccounts', 'system:authenticated'] },
      code: 403,
      reason: 'Forbidden',
      received: new Date('2026-05-06T07:08:09.123Z'),
      completed: new Date('2026-05-06T07:08:09.125Z'),
    });
    expect(ev).toEqual({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: 'a1',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/default/configmaps',
      verb: 'create',
      user: { username: 'system:serviceaccount:default:viewer', uid: 'u-1', groups: ['system:serviceaccounts', 'system:authenticated'] },
      sourceIPs: ['10.0.0.9', '10.0.0.8', '127.0.0.1'],
      userAgent: 'kubectl/v1.32.4 (linux/amd64)',
      objectRef: { resource: 'configmaps', namespace: 'default', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 403, status: 'Failure', reason: 'Forbidden' },
      requestReceivedTimestamp: '2026-05-06T07:08:09.123000Z',
      stageTimestamp: '2026-05-06T07:08:09.125000Z',
    });
  });

  it('a request nobody authenticated is system:anonymous', () => {
    const ev = auditEvent({ auditID: 'a2', req: request('GET', '/api/v1/pods'), route: route('/api/v1/pods'), code: 401, reason: 'Unauthorized', received: new Date(0), completed: new Date(0) });
    expect(ev.user).toEqual({ username: 'system:anonymous', groups: ['system:unauthenticated'] });
    expect(ev.responseStatus).toEqual({ metadata: {}, code: 401, status: 'Failure', reason: 'Unauthorized' });
  });

  it('source IPs: X-Real-Ip after X-Forwarded-For, the peer last, no duplicates', () => {
    expect(sourceIPs(request('GET', '/', { 'x-real-ip': '10.1.1.1' }, '127.0.0.1'))).toEqual(['10.1.1.1', '127.0.0.1']);
    expect(sourceIPs(request('GET', '/', { 'x-forwarded-for': '127.0.0.1' }, '127.0.0.1'))).toEqual(['127.0.0.1']);
    expect(microTime(new Date('2026-01-01T00:00:00.000Z'))).toBe('2026-01-01T00:00:00.000000Z');
  });
});
