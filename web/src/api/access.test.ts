import { describe, expect, it } from 'vitest';
import { forbiddenMessage, kindQuestion, serviceAccountOf, tokenNamespace } from './access.ts';
import { kindByName } from './kinds.ts';

/** A JWT with `claims` (unsigned: only the payload is read). */
const b64url = (text: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const jwt = (claims: object): string => ['{"alg":"RS256"}', JSON.stringify(claims), 'sig'].map(b64url).join('.');

describe('access', () => {
  it('words a refusal as Kubernetes does', () => {
    const user = 'system:serviceaccount:team-a:viewer';
    expect(forbiddenMessage(user, { verb: 'list', group: '', resource: 'nodes' })).toBe(
      'nodes is forbidden: User "system:serviceaccount:team-a:viewer" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    expect(forbiddenMessage(user, { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'team-b', name: 'web' })).toBe(
      'deployments.apps "web" is forbidden: User "system:serviceaccount:team-a:viewer" cannot get resource "deployments" in API group "apps" in the namespace "team-b"',
    );
    expect(forbiddenMessage(user, { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'team-a', name: 'p' })).toContain('cannot get resource "pods/log" in API group "" in the namespace "team-a"');
    expect(forbiddenMessage(user, { verb: 'get', path: '/kactus/v1/events' })).toBe('forbidden: User "system:serviceaccount:team-a:viewer" cannot get path "/kactus/v1/events"');
  });

  it('asks about a kind in a namespace, or cluster-wide for cluster-scoped kinds', () => {
    expect(kindQuestion(kindByName('Deployment')!, 'list', 'team-a')).toEqual({ verb: 'list', group: 'apps', resource: 'deployments', namespace: 'team-a' });
    expect(kindQuestion(kindByName('Node')!, 'list', 'team-a')).toEqual({ verb: 'list', group: '', resource: 'nodes' });
    expect(kindQuestion(kindByName('Pod')!, 'watch')).toEqual({ verb: 'watch', group: '', resource: 'pods' });
  });

  it('finds a ServiceAccount\'s namespace in its user name and its token\'s claims', () => {
    expect(serviceAccountOf('system:serviceaccount:team-a:viewer')).toEqual({ namespace: 'team-a', name: 'viewer' });
    expect(serviceAccountOf('admin')).toBeUndefined();
    expect(serviceAccountOf('system:serviceaccount:team-a')).toBeUndefined();
    expect(tokenNamespace(jwt({ sub: 'system:serviceaccount:x:y', 'kubernetes.io': { namespace: 'team-a', serviceaccount: { name: 'y' } } }))).toBe('team-a');
    expect(tokenNamespace(jwt({ sub: 'system:serviceaccount:team-b:y' }))).toBe('team-b');
    expect(tokenNamespace(jwt({ sub: 'alice' }))).toBeUndefined();
    // Not a JWT (a static token), or one whose payload is not JSON.
    expect(tokenNamespace('0123456789abcdef')).toBeUndefined();
    expect(tokenNamespace('a.b.c')).toBeUndefined();
  });
});
