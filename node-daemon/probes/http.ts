/**
 * The httpGet probe as the kubelet makes it (`pkg/probe/http`):
 * - GET `scheme://host:port/path` with the probe's headers, plus `User-Agent: kube-probe/1.32`
 *   and `Accept: *\/*` unless the probe sets them (an empty `Accept` removes it); a `Host` header
 *   names the virtual host; a new connection per probe (`Connection: close`);
 * - HTTPS does not verify the server's certificate;
 * - 200–399 is success; a status of 400 or more fails with `HTTP probe failed with statuscode: N`;
 * - redirects to the same host are followed (at most 10 requests, then `stopped after 10
 *   redirects` fails it); a redirect to another host is not followed and counts as success with
 *   a warning (`Probe terminated redirects, Response body: …`);
 * - at most 10 KiB of the body is read; the timeout covers the whole exchange.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HttpHeader, ProbeOutcome } from '../../src/actors/pod/probe-spec.ts';
import { dialErrorText, hostPort, isDialError } from './dial.ts';
import { errorMessage } from '../../src/api/error-message.ts';

/** The kubelet's user agent (`kube-probe/<major>.<minor>`), for the version kactus speaks. */
export const PROBE_USER_AGENT = 'kube-probe/1.32';
/** Requests in one probe before redirects stop it (Go's http.Client). */
const MAX_REQUESTS = 10;
/** Body bytes read at most (the kubelet's maxRespBodyLength). */
export const MAX_BODY_BYTES = 10 * 1024;
/** Statuses Go's client follows. */
const FOLLOWED = new Set([301, 302, 303, 307, 308]);

export interface HttpProbeTarget {
  scheme: 'HTTP' | 'HTTPS';
  host: string;
  port: number;
  path: string;
  headers: readonly HttpHeader[];
}

/** The probe's URL (the kubelet's `formatURL`: the path may carry a query). */
export function probeUrl(target: HttpProbeTarget): URL {
  const path = target.path.startsWith('/') ? target.path : `/${target.path}`;
  return new URL(`${target.scheme.toLowerCase()}://${hostPort(target.host, target.port)}${path}`);
}

/** The request headers: the probe's, with the kubelet's User-Agent and Accept defaults. */
export function probeHeaders(headers: readonly HttpHeader[]): OutgoingHttpHeaders {
  const out: Record<string, string[]> = {};
  const names = new Map<string, string>();
  for (const { name, value } of headers) {
    const key = names.get(name.toLowerCase()) ?? name;
    names.set(name.toLowerCase(), key);
    (out[key] ??= []).push(value);
  }
  if (!names.has('user-agent')) out['User-Agent'] = [PROBE_USER_AGENT];
  const accept = names.get('accept');
  if (accept === undefined) out.Accept = ['*/*'];
  else if (out[accept]!.every((v) => v === '')) delete out[accept];
  const result: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(out)) result[name] = values.length === 1 ? values[0] : values;
  return result;
}

function get(url: URL, headers: OutgoingHttpHeaders, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options = { method: 'GET', headers, signal, agent: false as const };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...options, rejectUnauthorized: false }, resolve)
        : httpRequest(url, options, resolve);
    req.once('error', reject);
    req.end();
  });
}

/** Up to MAX_BODY_BYTES of the body, then the connection is dropped. */
async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_BODY_BYTES) break;
    }
  } finally {
    res.destroy();
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

export async function probeHttp(target: HttpProbeTarget, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const abort = AbortSignal.any([signal, deadline]);
  const headers = probeHeaders(target.headers);
  const first = probeUrl(target);
  let url = first;
  const failed = (err: unknown): ProbeOutcome => {
    if (signal.aborted) return { result: 'error', output: 'probe aborted' };
    if (deadline.aborted) return { result: 'failure', output: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
    const reason = isDialError(err) ? dialErrorText(url.host, err) : errorMessage(err);
    return { result: 'failure', output: `Get "${url.href}": ${reason}` };
  };
  try {
    for (let requests = 1; ; requests++) {
      const res = await get(url, headers, abort);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (FOLLOWED.has(status) && location !== undefined) {
        const next = new URL(location, url);
        // Only redirects to the same host are followed; the response to any other ends the probe.
        if (next.hostname === first.hostname) {
          res.destroy();
          if (requests >= MAX_REQUESTS) return { result: 'failure', output: `Get "${next.href}": stopped after ${MAX_REQUESTS} redirects` };
          url = next;
          continue;
        }
      }
      const body = await readBody(res);
      if (status >= 200 && status < 300) return { result: 'success', output: body };
      if (status >= 300 && status < 400) return { result: 'warning', output: `Probe terminated redirects, Response body: ${body}` };
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` };
    }
  } catch (err) {
    return failed(err);
  }
}
