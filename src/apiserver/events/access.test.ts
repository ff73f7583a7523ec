import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../registry/transition-log/entries.ts';
import type { AuthorizationAttributes, Authorizer, Decision } from '../../registry/authorization/types.ts';
import { StreamAccess } from './access.ts';

const transition = (kind: string, namespace: string): LogEntry => ({ type: 'transition', index: 1, key: '', record: { kind, namespace, name: 'x', uid: '', actor: '', time: '', from: '', to: 'a', event: 'e' } }) as LogEntry;
const event = (kind: string, namespace: string): LogEntry => ({ type: 'event', index: 2, key: '', about: { kind, namespace, name: 'x' } }) as unknown as LogEntry;

/** Allows `watch` or `list` on the given `resource@namespace` pairs ('' = cluster-wide); counts its calls. */
function authorizer(allowed: string[], async = false): Authorizer & { calls: number } {
  const a = {
    calls: 0,
    authorize(attrs: AuthorizationAttributes): Decision | Promise<Decision> {
      a.calls++;
      const ok = attrs.resourceRequest && ['watch', 'list'].includes(attrs.verb) && allowed.includes(`${attrs.resource}@${attrs.namespace}`);
      const d: Decision = { decision: ok ? 'allow' : 'no-opinion', reason: '' };
      return async ? Promise.resolve(d) : d;
    },
  };
  return a;
}

const user = { name: 'u', groups: [] };

describe('StreamAccess', () => {
  it('decides per kind and namespace, once, synchronously with a synchronous authorizer', () => {
    const authz = authorizer(['pods@team', 'deployments@', 'events@team']);
    const access = new StreamAccess(user, authz);
    expect(access.visible(transition('Pod', 'team'))).toBe(true);
    expect(access.visible(transition('Pod', 'other'))).toBe(false);
    expect(access.visible(transition('Deployment', 'other'))).toBe(true);
    expect(access.visible(transition('Node', ''))).toBe(false);
    expect(access.visible(transition('NoSuchKind', 'team'))).toBe(false);
    expect(access.visible(event('Pod', 'team'))).toBe(true);
    // An Event needs events too.
    expect(access.visible(event('Deployment', 'other'))).toBe(false);
    const calls = authz.calls;
    for (let i = 0; i < 100; i++) access.visible(transition('Pod', 'team'));
    expect(authz.calls).toBe(calls);
  });

  it('says undefined while an asynchronous decision is made, then answers', async () => {
    const access = new StreamAccess(user, authorizer(['pods@team'], true));
    expect(access.visible(transition('Pod', 'team'))).toBeUndefined();
    await access.whenDecided();
    expect(access.visible(transition('Pod', 'team'))).toBe(true);
    await access.prepare([transition('Pod', 'other')]);
    expect(access.visible(transition('Pod', 'other'))).toBe(false);
  });
});
