/**
 * The failover client against local servers on loopback: a real TLS server (the cluster PKI's
 * serving certificate) that answers, hangs or cuts the connection by path, a port that refuses,
 * and a listener that accepts TCP but never speaks TLS (as a SIGSTOPped master).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreatePki } from '../../../src/apiserver/pki.ts';
import { FailoverClient, NotSentError, OutcomeUnknownError, type ApiEndpoint } from './api-client.ts';

let dir: string;
let https: HttpsServer;
let silent: Server;
const sockets: Socket[] = [];
let good: ApiEndpoint;
let silentEp: ApiEndpoint;
let refusedEp: ApiEndpoint;
const seen: string[] = [];

const listen = (s: Server | HttpsServer): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-api-client-'));
  const pki = await loadOrCreatePki(dir);
  https = createHttpsServer({ key: pki.serverKeyPem, cert: pki.serverCertPem }, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
    if (req.url === '/hang') return;
    if (req.url === '/cut') return req.socket.destroy();
    res.writeHead(req.url === '/busy' ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  https.on('connection', (s: Socket) => sockets.push(s));
  silent = createServer((s) => sockets.push(s));
  good = { url: `https://127.0.0.1:${await listen(https)}`, caPem: pki.caCertPem, token: 'T' };
  silentEp = { ...good, url: `https://127.0.0.1:${await listen(silent)}` };
  const closed = createServer();
  refusedEp = { ...good, url: `https://127.0.0.1:${await listen(closed)}` };
  await new Promise((r) => closed.close(r));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => https.close(r));
  await new Promise((r) => silent.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('FailoverClient', () => {
  it('skips a master that refuses and one that never completes the handshake, then stays on the one that answers', async () => {
    const client = new FailoverClient([silentEp, refusedEp, good], { timeoutMs: 3_000, connectTimeoutMs: 200 });
    const started = performance.now();
    const a = await client.request('GET', '/first');
    expect(a).toMatchObject({ status: 200, body: { path: '/first' }, url: good.url });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    const again = performance.now();
    expect((await client.request('GET', '/second')).url).toBe(good.url);
    expect(performance.now() - again).toBeLessThan(150);
    expect(seen).toContain('GET /first Bearer T');
  });

  it('sends the body with its content type', async () => {
    const client = new FailoverClient([good]);
    expect((await client.request('PATCH', '/p', { json: { a: 1 }, contentType: 'application/merge-patch+json' })).status).toBe(200);
  });

  it('reports an unknown outcome when the request was sent and no answer came', async () => {
    const client = new FailoverClient([good, { ...good, url: good.url.replace('127.0.0.1', 'localhost') }], { timeoutMs: 500 });
    const err = await client.request('POST', '/hang', { json: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect((err as Error).message).toMatch(/POST \/hang via https:\/\/127\.0\.0\.1:\d+: no answer within 500 ms/);
    // …and the next request goes to the next master.
    expect((await client.request('GET', '/x')).url).toContain('localhost');
    await expect(new FailoverClient([good]).request('POST', '/cut', { json: {} })).rejects.toBeInstanceOf(OutcomeUnknownError);
  });

  it('reports not sent when no master took the request by the deadline', async () => {
    const client = new FailoverClient([refusedEp, silentEp], { timeoutMs: 600, connectTimeoutMs: 100 });
    const err = await client.request('GET', '/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotSentError);
    expect((err as Error).message).toMatch(/no master took it within 600 ms/);
  });

  it('returns a 5xx answer and moves to the next master', async () => {
    const client = new FailoverClient([good, { ...good, url: good.url.replace('127.0.0.1', 'localhost') }]);
    expect(await client.request('GET', '/busy')).toMatchObject({ status: 503 });
    expect((await client.request('GET', '/after')).url).toContain('localhost');
  });
});
