/**
 * The joining master's half (join-protocol.ts): fetch and check the cluster CA, then ask to be
 * added. The token's credentials are only ever sent over TLS verified against the CA whose hash
 * the token carries.
 */
import https from 'node:https';
import { CACERTS_PATH, MASTER_JOIN_PATH, parseMasterJoinAnswer, type MasterJoinAnswer, type MasterJoinRequest } from './join-protocol.ts';
import { caCertHash, type MasterJoinToken } from './master-token.ts';

/** The server refused the join (its Status message), or is not the cluster the token names. */
export class MasterJoinError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the refusal is the joiner's own (CA mismatch). */
    readonly code: number,
  ) {
    super(message);
    this.name = 'MasterJoinError';
  }
}

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The cluster CA from `server` (`GET /cacerts`, TLS unverified: nothing secret is sent), accepted
 * only when its hash is the token's.
 */
export async function fetchClusterCa(server: string, token: MasterJoinToken): Promise<string> {
  const res = await send(new URL(CACERTS_PATH, server), { method: 'GET', rejectUnauthorized: false });
  if (res.status !== 200) throw new MasterJoinError(`${server}${CACERTS_PATH} answered ${res.status}: ${statusMessage(res.body)}`, res.status);
  const found = caCertHash(res.body);
  if (found !== token.caHash) {
    throw new MasterJoinError(
      `the server at ${server} is not the cluster this token belongs to: its CA hashes to ${found}, the token names ${token.caHash} (nothing was sent to it)`,
      0,
    );
  }
  return res.body;
}

/**
 * Asks `server` to add this master's member. etcd's "try again" refusals (503: unhealthy cluster,
 * a member not started yet) are retried for up to `retryForMs` (default 60 s); every other
 * refusal is a MasterJoinError at once.
 */
export async function requestMasterJoin(server: string, caCertPem: string, token: MasterJoinToken, request: MasterJoinRequest, opts: { retryForMs?: number; onRetry?: (message: string) => void } = {}): Promise<MasterJoinAnswer> {
  const deadline = Date.now() + (opts.retryForMs ?? 60_000);
  const body = JSON.stringify(request);
  for (let delay = 500; ; delay = Math.min(delay * 2, 4000)) {
    const res = await send(new URL(MASTER_JOIN_PATH, server), {
      method: 'POST',
      ca: caCertPem,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.credentials}`, 'content-length': Buffer.byteLength(body) },
      body,
    });
    if (res.status === 200 || res.status === 201) return parseMasterJoinAnswer(JSON.parse(res.body));
    const message = statusMessage(res.body);
    if (res.status !== 503 || Date.now() + delay > deadline) throw new MasterJoinError(`${server} refused this master: ${message}`, res.status);
    opts.onRetry?.(message);
    await new Promise((r) => setTimeout(r, delay));
  }
}

interface Response {
  status: number;
  body: string;
}

function send(url: URL, opts: { method: string; ca?: string; rejectUnauthorized?: boolean; headers?: Record<string, string | number>; body?: string }): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: opts.method, headers: opts.headers, ...(opts.ca ? { ca: opts.ca } : {}), rejectUnauthorized: opts.rejectUnauthorized ?? true, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => reject(new MasterJoinError(`cannot reach ${url.origin}: ${err.message}`, 0)));
    req.end(opts.body);
  });
}

/** A Status body's message, else the body itself (cut). */
function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 300);
}
