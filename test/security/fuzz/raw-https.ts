/**
 * One raw HTTPS request as the fuzzers send it: any method, path, headers and bytes, over a
 * keep-alive agent that trusts the cluster CA, with a deadline (a request the server never
 * answers is a finding, not a hang of the test).
 */
import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export function fuzzAgent(ca: string): Agent {
  return new Agent({ keepAlive: true, maxSockets: 16, ca });
}

/**
 * Sends `req`; rejects on a transport error or after `timeoutMs` without a complete answer. A
 * reset of a reused keep-alive socket before any answer is retried (twice at most), as Node's
 * documentation advises: the server may close an idle connection just as the client reuses it.
 */
export async function sendRaw(baseUrl: string, agent: Agent, token: string, req: RawRequest, timeoutMs = 20_000): Promise<RawResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce(baseUrl, agent, token, req, timeoutMs);
    } catch (err) {
      if (!(err instanceof ReusedSocketReset) || attempt >= 3) throw err;
    }
  }
}

class ReusedSocketReset extends Error {}

function sendOnce(baseUrl: string, agent: Agent, token: string, req: RawRequest, timeoutMs: number): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...req.headers };
  if (req.body !== undefined) headers['Content-Length'] = String(req.body.length);
  return new Promise((resolve, reject) => {
    const r = request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent }, (res) => {
      // An accepted watch streams until its timeout: its 200 is the answer.
      if (isWatch(req.path) && (res.statusCode ?? 0) < 300) {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '' });
        r.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', (err: NodeJS.ErrnoException) => reject(r.reusedSocket && err.code === 'ECONNRESET' ? new ReusedSocketReset(err.message) : err));
    r.end(req.body);
  });
}

/** A watch request: `?watch=1` (or any value the server may read as true) or the `/watch/` prefix. */
function isWatch(path: string): boolean {
  return /[?&]watch=/.test(path) || /\/watch\//.test(path.split('?')[0]!);
}
