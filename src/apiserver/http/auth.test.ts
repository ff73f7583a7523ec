import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ADMIN_USER, requestUser, setRequestUser, tokenAuthenticator, type UserInfo } from './auth.ts';

const request = (authorization?: string): IncomingMessage => ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;

describe('bearer-token authentication', () => {
  const robot: UserInfo = { name: 'system:serviceaccount:default:robot', uid: 'u1', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'], extra: {} };
  const node: UserInfo = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  const authenticate = tokenAuthenticator('admin-secret', (t) => (t === 'node-token' ? node : undefined), async (t) => (t === 'sa-token' ? robot : undefined));

  it('asks the admin token, then each authenticator in turn', async () => {
    expect(await authenticate(request('Bearer admin-secret'))).toBe(ADMIN_USER);
    expect(await authenticate(request('Bearer node-token'))).toBe(node);
    expect(await authenticate(request('Bearer sa-token'))).toBe(robot);
    expect(await authenticate(request('Bearer nobody'))).toBeUndefined();
    expect(await authenticate(request())).toBeUndefined();
  });

  it('keeps the user a request was authenticated as, for authorization and audit', () => {
    const req = request('Bearer sa-token');
    expect(requestUser(req)).toBeUndefined();
    setRequestUser(req, robot);
    expect(requestUser(req)).toBe(robot);
    expect(requestUser(request())).toBeUndefined();
  });
});
