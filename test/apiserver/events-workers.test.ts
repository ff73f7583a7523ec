/**
 * The event stream served by worker threads (src/apiserver/events/workers): several workers on
 * the API port, each with its own hub following the main thread's; every client sees the same
 * entries with the same indexes whichever worker took its connection; everything else reaches
 * the main thread through the relay (a keep-alive connection whose first request was not the
 * stream's is served there, stream included); stopping the server closes streams with 1001; and
 * without workers the main thread serves the streams itself.
 */
import { randomBytes } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransitionRecord } from '../../src/api/transition.ts';
import { TransitionLogWriter } from '../../src/registry/transition-log/writer.ts';
import { StreamReader, streamFigures } from '../support/event-stream.ts';
import { startTestCluster, type TestCluster } from './harness.ts';

const rec = (name: string, to: string, namespace = 'default'): TransitionRecord => ({ kind: 'Pod', namespace, name, uid: `uid-${name}`, actor: '', time: new Date().toISOString(), from: '', to, event: 'test.step' });

const open = (c: TestCluster, query: Record<string, string> = {}): Promise<StreamReader> => StreamReader.open({ url: c.server.url, ca: c.server.caCertPem, token: c.server.adminToken, query });
const hasMarker = (name: string) => (r: StreamReader) => r.messages.some((m) => m.type === 'transition' && m.name === name);

/** Reads from a raw TLS socket until `done` holds over everything read. */
function readUntil(socket: TLSSocket, done: (all: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let all = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`timed out; read ${JSON.stringify(all.toString('latin1').slice(0, 300))}`)), 10_000);
    const onData = (d: Buffer): void => {
      all = Buffer.concat([all, d]);
      if (done(all)) finish();
    };
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (err) reject(err);
      else resolve(all);
    };
    socket.on('data', onData);
  });
}

describe('event stream on two stream workers', () => {
  let c: TestCluster;
  let writer: TransitionLogWriter;
  beforeAll(async () => {
    c = await startTestCluster({ server: { eventStream: { workers: 2, heartbeatMs: 200 } } });
    writer = new TransitionLogWriter({ store: c.store });
  });
  afterAll(async () => {
    await writer?.close();
    await c?.close();
  });

  it('every client gets the same entries with the same indexes, whichever worker holds it; the API answers beside them', async () => {
    await writer.append([rec('first', 'running')]);
    const readers: StreamReader[] = [];
    for (let i = 0; i < 12; i++) readers.push(await open(c, i % 3 === 0 ? { format: 'msgpack' } : {}));
    for (const r of readers) await r.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
    const hubs = await c.server.eventStreamStats();
    expect(hubs.map((h) => h.hub)).toEqual(['main', 'worker 1', 'worker 2']);
    // The kernel spreads connections over the workers' listeners; the main thread's hub has none of its own.
    expect(hubs[0]!.clients).toBe(0);
    expect(hubs[1]!.clients + hubs[2]!.clients).toBe(12);

    for (let i = 0; i < 20; i++) await writer.append(Array.from({ length: 5 }, (_, j) => rec(`p${j}`, `s${i}`)));
    await writer.append([rec('marker', 'done')]);
    for (const r of readers) await r.until('the marker', hasMarker('marker'));
    const expected = readers[0]!.indexes();
    expect(expected).toHaveLength(101);
    for (const r of readers) expect(r.indexes()).toEqual(expected);
    // Requests that are not the stream's are relayed to the main thread and answered as always.
    expect((await c.client.get('/api/v1/namespaces/default')).status).toBe(200);
    expect((await c.client.get('/api/v1/namespaces/nope')).status).toBe(404);
    expect((await streamFigures(c.server)).clients).toBe(12);
    for (const r of readers) await r.close();
  });

  it('a keep-alive connection whose first request was not the stream is served by the main thread, stream included', async () => {
    const url = new URL(c.server.url);
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: c.server.caCertPem, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    try {
      socket.write(`GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
      const health = (await readUntil(socket, (all) => all.includes('\r\n\r\nok'))).toString('latin1');
      expect(health).toMatch(/^HTTP\/1\.1 200 /);
      const key = randomBytes(16).toString('base64');
      socket.write(
        `GET /kactus/v1/events?name=kept HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\nAuthorization: Bearer ${c.server.adminToken}\r\n\r\n`,
      );
      const upgraded = (await readUntil(socket, (all) => all.includes('snapshot-end'))).toString('latin1');
      expect(upgraded).toMatch(/^HTTP\/1\.1 101 /);
      expect((await c.server.eventStreamStats())[0]).toMatchObject({ hub: 'main', clients: 1 });
      await writer.append([rec('kept', 'live')]);
      expect((await readUntil(socket, (all) => all.includes('"name":"kept"'))).toString('latin1')).toContain('"type":"transition"');
    } finally {
      socket.destroy();
    }
  });
});

describe('stream workers when the server stops, and no workers', () => {
  it('stopping the server closes worker-held streams with 1001 (going away)', async () => {
    const c = await startTestCluster({ server: { eventStream: { workers: 1 } } });
    let closed = false;
    try {
      const r = await open(c);
      await r.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
      await c.close();
      closed = true;
      expect(await r.closedWith()).toMatchObject({ code: 1001 });
    } finally {
      if (!closed) await c.close();
    }
  });

  it('workers: 0 serves the streams on the main thread', async () => {
    const c = await startTestCluster({ server: { eventStream: { workers: 0 } } });
    const w = new TransitionLogWriter({ store: c.store });
    try {
      const r = await open(c, { name: 'solo' });
      await r.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
      expect(await c.server.eventStreamStats()).toEqual([expect.objectContaining({ hub: 'main', clients: 1 })]);
      await w.append([rec('solo', 'running')]);
      await r.until('the entry', hasMarker('solo'));
      await r.close();
    } finally {
      await w.close();
      await c.close();
    }
  });
});
