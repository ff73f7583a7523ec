/** The token cache: reuse, renewal at 80% of the life, keeping a valid token when renewal fails, per-pod forgetting. */
import { describe, expect, it } from 'vitest';
import type { ServiceAccountTokenRequest } from '../../src/api/service-account-token.ts';
import { TokenManager } from './token-manager.ts';

const T0 = Date.UTC(2024, 0, 1);

function harness() {
  let now = T0;
  let n = 0;
  let failing = false;
  const asked: ServiceAccountTokenRequest[] = [];
  const manager = new TokenManager(
    async (req) => {
      asked.push(req);
      if (failing) throw new Error('master unreachable');
      n += 1;
      return { token: `tok-${n}`, expirationTimestamp: new Date(now + (req.expirationSeconds ?? 3600) * 1000).toISOString(), caCertPem: 'CA' };
    },
    () => now,
  );
  return {
    manager,
    asked,
    advance: (ms: number) => (now += ms),
    fail: (f: boolean) => (failing = f),
  };
}

const req = (over: Partial<ServiceAccountTokenRequest> = {}): ServiceAccountTokenRequest => ({
  namespace: 'ns',
  serviceAccountName: 'default',
  expirationSeconds: 1000,
  boundPod: { name: 'p', uid: 'uid-1' },
  ...over,
});

describe('TokenManager', () => {
  it('hands out the cached token until 80% of its life, then asks again', async () => {
    const h = harness();
    expect((await h.manager.token(req())).token).toBe('tok-1');
    h.advance(799_000);
    expect((await h.manager.token(req())).token).toBe('tok-1');
    expect(h.manager.refreshAt(req())).toBe(T0 + 800_000);
    h.advance(1_000);
    expect((await h.manager.token(req())).token).toBe('tok-2');
    expect(h.asked).toHaveLength(2);
  });

  it('one token per audience set, lifetime and bound pod', async () => {
    const h = harness();
    await h.manager.token(req());
    await h.manager.token(req({ audiences: ['vault'] }));
    await h.manager.token(req({ expirationSeconds: 7200 }));
    await h.manager.token(req({ boundPod: { name: 'q', uid: 'uid-2' } }));
    await h.manager.token(req());
    expect(h.asked).toHaveLength(4);
    h.manager.forgetPod('uid-1');
    expect(h.manager.size).toBe(1);
  });

  it('concurrent asks share one request', async () => {
    const h = harness();
    const [a, b] = await Promise.all([h.manager.token(req()), h.manager.token(req())]);
    expect(a.token).toBe(b.token);
    expect(h.asked).toHaveLength(1);
  });

  it('a failed renewal keeps the valid token; a failed first fetch or an expired one is an error', async () => {
    const h = harness();
    h.fail(true);
    await expect(h.manager.token(req())).rejects.toThrow('failed to fetch token: master unreachable');
    h.fail(false);
    await h.manager.token(req());
    h.fail(true);
    h.advance(900_000);
    expect((await h.manager.token(req())).token).toBe('tok-1');
    h.advance(100_000);
    await expect(h.manager.token(req())).rejects.toThrow(/expired and refresh failed: master unreachable/);
    h.fail(false);
    expect((await h.manager.token(req())).token).toBe('tok-2');
  });

  it('a token older than 24 h is renewed whatever its life', async () => {
    const h = harness();
    await h.manager.token(req({ expirationSeconds: 7 * 24 * 3600 }));
    h.advance(24 * 3600 * 1000);
    expect((await h.manager.token(req({ expirationSeconds: 7 * 24 * 3600 }))).token).toBe('tok-2');
  });
});
