/**
 * ServiceAccount tokens for projected volumes, cached as the kubelet's token manager
 * (pkg/kubelet/token): one per (ServiceAccount, audiences, lifetime, bound pod); a cached token
 * is handed out until 80% of its life has passed (or 24 h), then a new one is asked for. If that
 * fails while the old one is still valid, the old one is kept (and asked again next time); a
 * first fetch that fails is an error (`failed to fetch token: …`). Tokens of a removed pod are
 * forgotten.
 */
import type { IssuedServiceAccountToken, ServiceAccountTokenRequest } from '../../src/api/service-account-token.ts';

/** Who mints tokens: the masters, over the mesh (token-client.ts). */
export type TokenSource = (request: ServiceAccountTokenRequest) => Promise<IssuedServiceAccountToken>;

/** A token is renewed past this much of its life… */
export const REFRESH_AT_FRACTION = 0.8;
/** …or past this age, whatever its life. */
const MAX_AGE_MS = 24 * 3600 * 1000;

interface Cached {
  issued: IssuedServiceAccountToken;
  /** When it was issued (its expiration minus the lifetime asked for), epoch ms. */
  issuedAt: number;
  expiresAt: number;
  podUid: string;
}

function keyOf(r: ServiceAccountTokenRequest): string {
  return JSON.stringify([r.namespace, r.serviceAccountName, [...(r.audiences ?? [])].sort(), r.expirationSeconds ?? null, r.boundPod?.uid ?? '']);
}

export class TokenManager {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<IssuedServiceAccountToken>>();

  constructor(
    private readonly source: TokenSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid token for the request: cached, or asked for when due (see the module comment). */
  async token(request: ServiceAccountTokenRequest): Promise<IssuedServiceAccountToken> {
    const key = keyOf(request);
    const cached = this.cache.get(key);
    if (cached && !this.dueForRefresh(cached)) return cached.issued;
    let fetching = this.inFlight.get(key);
    if (!fetching) {
      fetching = this.source(request).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, fetching);
    }
    try {
      const issued = await fetching;
      const expiresAt = Date.parse(issued.expirationTimestamp);
      const lifetimeMs = (request.expirationSeconds ?? 3600) * 1000;
      this.cache.set(key, { issued, expiresAt, issuedAt: expiresAt - lifetimeMs, podUid: request.boundPod?.uid ?? '' });
      return issued;
    } catch (err) {
      if (!cached) throw new Error(`failed to fetch token: ${(err as Error).message}`);
      if (this.now() >= cached.expiresAt) throw new Error(`token ${key} expired and refresh failed: ${(err as Error).message}`);
      return cached.issued;
    }
  }

  /** When the token for `request` is due for renewal (epoch ms), if one is cached. */
  refreshAt(request: ServiceAccountTokenRequest): number | undefined {
    const cached = this.cache.get(keyOf(request));
    return cached === undefined ? undefined : this.refreshTime(cached);
  }

  /** Forget the tokens bound to a pod (it is gone). */
  forgetPod(uid: string): void {
    for (const [key, cached] of this.cache) if (cached.podUid === uid) this.cache.delete(key);
  }

  /** How many tokens are cached (tests). */
  get size(): number {
    return this.cache.size;
  }

  private refreshTime(c: Cached): number {
    const life = c.expiresAt - c.issuedAt;
    return Math.min(c.issuedAt + MAX_AGE_MS, c.issuedAt + life * REFRESH_AT_FRACTION);
  }

  private dueForRefresh(c: Cached): boolean {
    return this.now() >= this.refreshTime(c);
  }
}
