/**
 * The dashboard words a refusal it learnt from an access review (web/src/api/access.ts) exactly as
 * the API server words its 403 for the same request (src/apiserver/authz/forbidden.ts), so a note
 * the UI writes reads as the server's own message would.
 */
import { describe, expect, it } from 'vitest';
import { forbidden } from '../../src/apiserver/authz/forbidden.ts';
import type { AuthorizationAttributes } from '../../src/registry/authorization/types.ts';
import { forbiddenMessage, type Question } from '../../web/src/api/access.ts';

const user = { name: 'system:serviceaccount:team-a:viewer', groups: ['system:serviceaccounts', 'system:authenticated'] };

const cases: [Question, AuthorizationAttributes][] = [
  [{ verb: 'list', group: '', resource: 'nodes' }, { user, resourceRequest: true, verb: 'list', apiGroup: '', resource: 'nodes', subresource: '', namespace: '', name: '' }],
  [
    { verb: 'list', group: 'apps', resource: 'deployments', namespace: 'team-b' },
    { user, resourceRequest: true, verb: 'list', apiGroup: 'apps', resource: 'deployments', subresource: '', namespace: 'team-b', name: '' },
  ],
  [
    { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'team-a', name: 'web-1' },
    { user, resourceRequest: true, verb: 'get', apiGroup: '', resource: 'pods', subresource: 'log', namespace: 'team-a', name: 'web-1' },
  ],
  [{ verb: 'get', path: '/kactus/v1/events' }, { user, resourceRequest: false, verb: 'get', path: '/kactus/v1/events' }],
];

describe('the dashboard\'s refusal sentences', () => {
  it.each(cases)('%j reads as the server\'s 403', (question, attrs) => {
    expect(forbiddenMessage(user.name, question)).toBe(forbidden(attrs, '').message);
  });
});
