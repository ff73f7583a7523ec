/**
 * An HTTPS client of the Kubernetes API that fails over between several masters and says, for
 * each request, whether it may have reached one: what a history needs to tell a definite answer
 * from an unknown outcome.
 *
 * Every request opens a new TLS connection (no keep-alive). Until the TLS handshake completes the
 * request has not been sent, so a master that refuses, is unreachable or is paused (SIGSTOP: the
 * kernel accepts the TCP connection, nobody answers the handshake) is skipped for the next one at
 * no risk. Once sent, a cut connection or the per-operation deadline leaves the outcome unknown.
 */
import { request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { readKubeconfig, resolveConnection } from '../../../src/cli/kubeconfig.ts';

/** One master's API: its URL, the CA that signed its certificate and the bearer token. */
export interface ApiEndpoint {
  url: string;
  caPem?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
}

/** The endpoint a kubeconfig (its current context) names, with `url` instead of its server if given. */
export async function endpointFromKubeconfig(path: string, url?: string): Promise<ApiEndpoint> {
  const conn = await resolveConnection(await readKubeconfig(path));
  return { url: url ?? conn.server, ...(conn.caPem ? { caPem: conn.caPem } : {}), ...(conn.token ? { token: conn.token } : {}), insecureSkipTlsVerify: conn.insecureSkipTlsVerify };
}

/** An HTTP answer: the request reached a master and it answered (any status). */
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  /** The endpoint that answered. */
  url: string;
}

/** The request was sent and no answer came (connection cut, deadline): it may have taken effect. */
export class OutcomeUnknownError extends Error {
  override name = 'OutcomeUnknownError';
}

/** No master took the request before the deadline: it certainly did not take effect. */
export class NotSentError extends Error {
  override name = 'NotSentError';
}

export interface ApiClientOptions {
  /** The whole operation's deadline, failovers included. Default 5 s. */
  timeoutMs?: number;
  /** How long one master may take to complete the TLS handshake before the next is tried. Default 1 s. */
  connectTimeoutMs?: number;
}

/** A request body and its content type (JSON unless said). */
export interface ApiBody {
  json: unknown;
  contentType?: string;
}

/**
 * Sends requests to the endpoint that last worked, moving to the next one when a master cannot
 * be reached or answers 5xx. One instance per client process: each keeps its own preference.
 */
export class FailoverClient {
  private current = 0;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    readonly endpoints: readonly ApiEndpoint[],
    opts: ApiClientOptions = {},
  ) {
    if (endpoints.length === 0) throw new Error('FailoverClient needs at least one endpoint');
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 1_000;
  }

  /** The answer of some master; throws OutcomeUnknownError or NotSentError when there is none. */
  async request(method: string, path: string, body?: ApiBody): Promise<ApiAnswer> {
    const deadline = performance.now() + this.timeoutMs;
    const failures: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const endpoint = this.endpoints[this.current]!;
      const left = deadline - performance.now();
      if (left <= 0) throw new NotSentError(`${method} ${path}: no master took it within ${this.timeoutMs} ms (${failures.slice(-3).join('; ')})`);
      const outcome = await send(endpoint, method, path, body, Math.min(this.connectTimeoutMs, left), left);
      if ('answer' in outcome) {
        if (outcome.answer.status >= 500) this.next();
        return outcome.answer;
      }
      this.next();
      if (outcome.sent) throw new OutcomeUnknownError(`${method} ${path} via ${endpoint.url}: ${outcome.error}`);
      failures.push(`${endpoint.url}: ${outcome.error}`);
      // Every master tried once: give them a moment before the next round.
      if (attempt % this.endpoints.length === 0) await delay(Math.min(100, Math.max(0, deadline - performance.now())));
    }
  }

  private next(): void {
    this.current = (this.current + 1) % this.endpoints.length;
  }
}

type SendOutcome = { answer: ApiAnswer } | { sent: boolean; error: string };

/** One attempt on one endpoint. `sent` once the TLS handshake is done (the request then goes out). */
function send(endpoint: ApiEndpoint, method: string, path: string, body: ApiBody | undefined, connectTimeoutMs: number, timeoutMs: number): Promise<SendOutcome> {
  return new Promise((resolve) => {
    const url = new URL(path, endpoint.url);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body.json));
    let sent = false;
    let settled = false;
    const finish = (outcome: SendOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(overallTimer);
      resolve(outcome);
    };
    const req = httpsRequest(url, {
      method,
      agent: false,
      ...(endpoint.caPem ? { ca: endpoint.caPem } : {}),
      rejectUnauthorized: !endpoint.insecureSkipTlsVerify,
      headers: {
        accept: 'application/json',
        ...(endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {}),
        ...(payload ? { 'content-type': body!.contentType ?? 'application/json', 'content-length': String(payload.length) } : {}),
      },
    });
    const connectTimer = setTimeout(() => {
      if (!sent) req.destroy(new Error(`no TLS handshake within ${Math.round(connectTimeoutMs)} ms`));
    }, connectTimeoutMs);
    const overallTimer = setTimeout(() => req.destroy(new Error(`no answer within ${Math.round(timeoutMs)} ms`)), timeoutMs);
    req.on('socket', (socket) => socket.once('secureConnect', () => (sent = true)));
    req.on('error', (err) => finish({ sent, error: err.message }));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', (err) => finish({ sent: true, error: err.message }));
      res.on('end', () => {
        let parsed: Record<string, unknown> = {};
        try {
          parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          parsed = { unparsed: text.slice(0, 200) };
        }
        finish({ answer: { status: res.statusCode ?? 0, body: parsed, url: endpoint.url } });
      });
    });
    req.end(payload);
  });
}
