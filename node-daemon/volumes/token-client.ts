/**
 * The node's end of `token.request` (src/net/messages.ts): ServiceAccount tokens asked of the
 * master over the actor channel. Each request gets a number; the master's `token.issued` or
 * `token.refused` with that number settles it. A request unanswered within the timeout, or in
 * flight when the channel drops, fails (the volume's next refresh asks again).
 */
import type { IssuedServiceAccountToken, ServiceAccountTokenRequest } from '../../src/api/service-account-token.ts';
import type { Envelope } from '../../src/net/codec.ts';
import { checkMessage } from '../../src/net/messages.ts';

/** How long a token request may wait for its answer. */
export const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

/** The master refused (its code and message: 403 not this node's pod, 503 no issuer…). */
export class TokenRefusedError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TokenRefusedError';
  }
}

interface Pending {
  resolve(token: IssuedServiceAccountToken): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class TokenClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** `send` puts a message on the actor channel; undefined when it is not open. */
  constructor(
    private readonly send: (type: string, body: unknown) => Promise<void> | undefined,
    private readonly timeoutMs = TOKEN_REQUEST_TIMEOUT_MS,
  ) {}

  /** Ask the master for a token (a TokenSource for the TokenManager). */
  request(req: ServiceAccountTokenRequest): Promise<IssuedServiceAccountToken> {
    if (!req.boundPod) return Promise.reject(new Error('a node may only ask for tokens bound to one of its pods'));
    const id = this.nextId++;
    return new Promise<IssuedServiceAccountToken>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new Error(`no answer from the master within ${this.timeoutMs / 1000}s`)), this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const body = {
        id,
        namespace: req.namespace,
        serviceAccountName: req.serviceAccountName,
        ...(req.audiences ? { audiences: req.audiences } : {}),
        ...(req.expirationSeconds === undefined ? {} : { expirationSeconds: req.expirationSeconds }),
        boundPod: req.boundPod!,
      };
      const sent = this.send('token.request', body);
      if (!sent) this.settle(id, new Error('not connected to a master'));
      else sent.catch((err: unknown) => this.settle(id, err instanceof Error ? err : new Error(String(err))));
    });
  }

  /** A message from the master: true when it was an answer to a token request (malformed: FrameError). */
  handle(env: Envelope): boolean {
    if (env.type === 'token.issued') {
      const b = checkMessage('token.issued', env.body);
      this.settle(b.id, undefined, { token: b.token, expirationTimestamp: b.expirationTimestamp, caCertPem: b.caCertPem });
      return true;
    }
    if (env.type === 'token.refused') {
      const b = checkMessage('token.refused', env.body);
      this.settle(b.id, new TokenRefusedError(b.code, b.message));
      return true;
    }
    return false;
  }

  /** The actor channel dropped: no answer will come to what is in flight. */
  disconnected(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, new Error('the connection to the master was lost'));
  }

  private settle(id: number, err: Error | undefined, token?: IssuedServiceAccountToken): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(token!);
  }
}
