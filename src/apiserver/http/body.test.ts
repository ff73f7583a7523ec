/**
 * readBody's limit over a real connection (found by the API fuzzer: a body past 3 MiB destroyed
 * the socket under the client, so the 413 was lost or the next request on that keep-alive
 * connection was reset).
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeObjectBody, readBody } from './body.ts';
import { writeError, writeJson } from './respond.ts';

describe('readBody over HTTP', () => {
  let server: Server;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      readBody(req, 1024).then(
        (body) => writeJson(res, 200, { bytes: body.length }),
        (err: unknown) => writeError(res, err),
      );
    });
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (bytes: number): Promise<{ status: number; body: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'Content-Length': String(bytes) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(Buffer.alloc(bytes, 'a'));
    });

  it('answers a body past the limit with a 413 Status and keeps the connection for the next request', async () => {
    expect(await post(1024)).toEqual({ status: 200, body: { bytes: 1024 } });
    for (let i = 0; i < 5; i++) {
      expect(await post(4 * 1024 * 1024)).toMatchObject({ status: 413, body: { kind: 'Status', code: 413, message: 'request entity too large: limit is 1024' } });
      expect(await post(10)).toEqual({ status: 200, body: { bytes: 10 } });
    }
    expect(sockets.size).toBe(1);
  });
});

describe('decodeObjectBody media types', () => {
  it('reads JSON without a Content-Type, and refuses one naming no media type with a 415 (found by the API fuzzer: `;` was read as JSON)', () => {
    expect(decodeObjectBody(undefined, Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(decodeObjectBody('', Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(decodeObjectBody('application/json; charset=utf-8', Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    for (const ct of [';', ' ; charset=utf-8', 'text/plain']) {
      expect(() => decodeObjectBody(ct, Buffer.from('{"a":1}')), ct).toThrow(expect.objectContaining({ code: 415, reason: 'UnsupportedMediaType' }));
    }
  });
});
