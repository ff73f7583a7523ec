/**
 * The httpGet probe against real HTTP(S) servers on loopback: statuses, headers, redirects as
 * the kubelet follows them, the body limit, timeouts, refused connections, and HTTPS with a
 * certificate no one trusts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreatePki } from '../../src/apiserver/pki.ts';
import { MAX_BODY_BYTES, PROBE_USER_AGENT, probeHttp, type HttpProbeTarget } from './http.ts';

const never = new AbortController().signal;
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
let server: Server;
let port: number;

/** Routes of the test server. */
function handle(path: string, res: import('node:http').ServerResponse): void {
  const redirect = (location: string) => res.writeHead(302, { Location: location }).end('moved');
  if (path === '/ok') res.writeHead(200).end('fine');
  else if (path === '/fail') res.writeHead(503).end('down for maintenance');
  else if (path === '/hop') redirect('/ok');
  else if (path === '/away') redirect(`http://localhost:${port}/ok`);
  else if (path === '/loop') redirect('/loop');
  else if (path === '/big') res.writeHead(200).end('x'.repeat(MAX_BODY_BYTES * 3));
  else if (path === '/hang') return; // never answers
  else res.writeHead(404).end();
}

function target(path: string, extra: Partial<HttpProbeTarget> = {}): HttpProbeTarget {
  return { scheme: 'HTTP', host: '127.0.0.1', port, path, headers: [], ...extra };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    handle(req.url ?? '', res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpGet probe', () => {
  it('succeeds on 2xx with the kubelet headers, the probe headers and a Host override, on a new connection', async () => {
    seen.length = 0;
    const outcome = await probeHttp(
      target('/ok', { headers: [{ name: 'X-Probe', value: 'a' }, { name: 'X-Probe', value: 'b' }, { name: 'Host', value: 'shop.example' }] }),
      1000,
      never,
    );
    expect(outcome).toEqual({ result: 'success', output: 'fine' });
    expect(seen[0]?.headers).toMatchObject({ 'user-agent': PROBE_USER_AGENT, accept: '*/*', 'x-probe': 'a, b', host: 'shop.example', connection: 'close' });
  });

  it('lets the probe set User-Agent, and removes Accept when the probe sets it empty', async () => {
    seen.length = 0;
    await probeHttp(target('/ok', { headers: [{ name: 'User-Agent', value: 'mine' }, { name: 'Accept', value: '' }] }), 1000, never);
    expect(seen[0]?.headers['user-agent']).toBe('mine');
    expect(seen[0]?.headers.accept).toBeUndefined();
  });

  it('fails on 4xx/5xx with the status code only', async () => {
    expect(await probeHttp(target('/fail'), 1000, never)).toEqual({ result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
  });

  it('follows a redirect to the same host', async () => {
    seen.length = 0;
    expect(await probeHttp(target('/hop'), 1000, never)).toEqual({ result: 'success', output: 'fine' });
    expect(seen.map((s) => s.path)).toEqual(['/hop', '/ok']);
  });

  it('does not follow a redirect to another host: success with a warning', async () => {
    seen.length = 0;
    expect(await probeHttp(target('/away'), 1000, never)).toEqual({ result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
    expect(seen.map((s) => s.path)).toEqual(['/away']);
  });

  it('stops after 10 requests of redirects', async () => {
    seen.length = 0;
    expect(await probeHttp(target('/loop'), 2000, never)).toEqual({
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects`,
    });
    expect(seen).toHaveLength(10);
  });

  it('reads at most 10 KiB of the body', async () => {
    const outcome = await probeHttp(target('/big'), 1000, never);
    expect(outcome.result).toBe('success');
    expect(outcome.output).toHaveLength(MAX_BODY_BYTES);
  });

  it('fails a server that does not answer within the timeout', async () => {
    const started = Date.now();
    expect(await probeHttp(target('/hang'), 300, never)).toEqual({
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails a refused connection with Go dialer wording', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await probeHttp({ ...target('/'), port: closedPort }, 1000, never)).toEqual({
      result: 'failure',
      output: `Get "http://127.0.0.1:${closedPort}/": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
  });

  it('errors once aborted (its container stopped)', async () => {
    const abort = new AbortController();
    const run = probeHttp(target('/hang'), 5000, abort.signal);
    abort.abort();
    expect(await run).toEqual({ result: 'error', output: 'probe aborted' });
  });

  it('does not verify an HTTPS server certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kactus-probe-https-'));
    const pki = await loadOrCreatePki(dir);
    const https = createHttpsServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, (_req, res) => res.writeHead(204).end());
    try {
      await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
      const httpsPort = (https.address() as AddressInfo).port;
      expect(await probeHttp({ ...target('/'), scheme: 'HTTPS', port: httpsPort }, 2000, never)).toEqual({ result: 'success', output: '' });
    } finally {
      https.closeAllConnections();
      await new Promise((resolve) => https.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
