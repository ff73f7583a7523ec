/**
 * `/kactus/v1/events` and `/kactus/v1/history` on a real API server over a real embedded store,
 * fed through the real write path (the transition log's writer): resume without loss or
 * duplicates (from the hub's ring and from the store), expiry, slow consumers, filters, formats,
 * heartbeats, authentication, the history of one object.
 */
import { unpack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransitionRecord } from '../../src/api/transition.ts';
import { TransitionLogWriter } from '../../src/registry/transition-log/writer.ts';
import { StreamReader, streamFigures, type OpenStreamOptions } from '../support/event-stream.ts';
import { startTestCluster, type TestCluster } from './harness.ts';

const rec = (name: string, to: string, over: Partial<TransitionRecord> = {}): TransitionRecord => ({
  kind: 'Pod',
  namespace: 'default',
  name,
  uid: `uid-${name}`,
  actor: '',
  time: new Date().toISOString(),
  from: '',
  to,
  event: 'test.step',
  ...over,
});

function opener(cluster: TestCluster): (opts?: Partial<OpenStreamOptions>) => Promise<StreamReader> {
  return (opts = {}) => StreamReader.open({ url: cluster.server.url, ca: cluster.server.caCertPem, token: cluster.server.adminToken, ...opts });
}

const dataIndexes = (r: StreamReader) => r.indexes(['transition', 'event']);
const hasMarker = (name: string) => (r: StreamReader) => r.messages.some((m) => m.type === 'transition' && m.name === name);

describe('event stream: resume, expiry, slow consumers', () => {
  let cluster: TestCluster;
  let writer: TransitionLogWriter;
  let open: ReturnType<typeof opener>;
  beforeAll(async () => {
    // A ring of 50 entries: a resume after a short gap is served from memory, after a long one from the store.
    cluster = await startTestCluster({ store: { historyLimit: 100_000 }, server: { eventStream: { ringSize: 50, heartbeatMs: 200 } } });
    writer = new TransitionLogWriter({ store: cluster.store, perActor: 1000 });
    open = opener(cluster);
  });
  afterAll(async () => {
    await writer?.close();
    await cluster?.close();
  });

  it('a client that disconnects and resumes with ?index= gets exactly what an uninterrupted one got (ring and store)', async () => {
    await writer.append([rec('before', 'running')]);
    const steady = await open();
    const hopper = await open(); // will resume after a short gap (ring)
    const jumper = await open(); // will resume after a long gap (store)
    for (const r of [steady, hopper, jumper]) await r.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
    expect(steady.messages[0]).toMatchObject({ type: 'snapshot', name: 'before', to: 'running', namespace: 'default', actor: '' });

    const lastIndex = (r: StreamReader) => Math.max(...r.messages.map((m) => m.index ?? 0));
    let hopperFirst: number[] = [];
    let jumperFirst: number[] = [];
    let hopperAgain: StreamReader | undefined;
    let jumperAgain: StreamReader | undefined;
    let hopperResume = 0;
    let jumperResume = 0;
    for (let i = 0; i < 60; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => rec(`p${(i * 10 + j) % 37}`, `s${i}`, j === 0 ? { actor: 'container:app' } : {}));
      await writer.append(batch);
      if (i % 7 === 0) await writer.appendEvent({ apiVersion: 'v1', kind: 'Event', metadata: { name: `ev${i}`, namespace: 'default' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'p1' }, reason: 'Step' });
      if (i === 10) {
        await hopper.until('some entries', (r) => dataIndexes(r).length >= 50);
        await hopper.close();
        hopperFirst = dataIndexes(hopper);
        hopperResume = lastIndex(hopper);
      }
      if (i === 12) {
        hopperAgain = await open({ query: { index: String(hopperResume) } });
      }
      if (i === 15) {
        await jumper.until('some entries', (r) => dataIndexes(r).length >= 80);
        await jumper.close();
        jumperFirst = dataIndexes(jumper);
        jumperResume = lastIndex(jumper);
      }
      if (i === 40) {
        // 25 batches (250+ entries) later: far beyond the ring of 50.
        jumperAgain = await open({ query: { index: String(jumperResume) } });
      }
    }
    await writer.append([rec('marker', 'done')]);
    for (const r of [steady, hopperAgain!, jumperAgain!]) await r.until('the marker', hasMarker('marker'));

    const expected = dataIndexes(steady);
    expect(expected.length).toBeGreaterThan(600);
    expect(new Set(expected).size).toBe(expected.length);
    expect(hopperAgain!.messages.some((m) => m.type === 'snapshot' || m.type === 'snapshot-end')).toBe(false);
    expect([...hopperFirst, ...dataIndexes(hopperAgain!)]).toEqual(expected);
    expect([...jumperFirst, ...dataIndexes(jumperAgain!)]).toEqual(expected);
    // Events arrive in the same order, between transitions.
    expect(steady.messages.filter((m) => m.type === 'event').length).toBe(9);
    expect(steady.messages.find((m) => m.type === 'event')).toMatchObject({ event: { kind: 'Event', reason: 'Step', involvedObject: { name: 'p1' } } });
    for (const r of [steady, hopperAgain!, jumperAgain!]) await r.close();
  });

  it('sends heartbeats carrying the position to resume from', async () => {
    const r = await open({ query: { kind: 'Nothing' } });
    await r.until('two heartbeats', (x) => x.messages.filter((m) => m.type === 'heartbeat').length >= 2);
    const end = r.messages.find((m) => m.type === 'snapshot-end')!;
    await writer.append([rec('beat', 'x')]);
    const current = await cluster.store.currentRevision();
    await r.until('a heartbeat past the write', (x) => x.messages.some((m) => m.type === 'heartbeat' && m.index! >= current));
    expect(r.messages.filter((m) => m.type === 'heartbeat').every((m) => m.index! >= end.index!)).toBe(true);
    expect(dataIndexes(r)).toEqual([]);
    await r.close();
  });

  it('closes a client that stops reading with 4429, holding at most its bound', async () => {
    const bound = 256 * 1024;
    const slowCluster = await startTestCluster({ store: { historyLimit: 100_000 }, server: { eventStream: { maxBufferedBytes: bound, closeTimeoutMs: 20_000 } } });
    try {
      const slowWriter = new TransitionLogWriter({ store: slowCluster.store });
      const slow = await opener(slowCluster)();
      const fast = await opener(slowCluster)({ query: { name: 'marker' } });
      await slow.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
      // Stop reading: the kernel's socket buffers fill, then the server's.
      (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const big = { blob: 'x'.repeat(8 * 1024) };
      for (let i = 0; i < 60; i++) await slowWriter.append(Array.from({ length: 50 }, (_, j) => rec(`big${j}`, `s${i}`, { labels: big })));
      await slowWriter.append([rec('marker', 'done')]);
      // Another client is not held up by the slow one.
      await fast.until('the marker', hasMarker('marker'));
      await slowWriter.close();
      expect((await streamFigures(slowCluster.server)).clients).toBe(1);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(await slow.closedWith(20_000)).toEqual({ code: 4429, reason: 'slow consumer' });
      // 24 MB were written; the server never held more than the bound plus one frame for the slow client.
      expect((await streamFigures(slowCluster.server)).bufferedHighWater).toBeLessThanOrEqual(bound + 16 * 1024);
      expect(hasMarker('marker')(slow)).toBe(false);
      await fast.close();
    } finally {
      await slowCluster.close();
    }
  }, 60_000);

  it('paces a resume by the socket: a backlog many times the bound arrives whole (from the store, then the ring), no 4429', async () => {
    const bound = 256 * 1024;
    const paced = await startTestCluster({ store: { historyLimit: 100_000 }, server: { eventStream: { maxBufferedBytes: bound, ringSize: 200 } } });
    try {
      const w = new TransitionLogWriter({ store: paced.store, perActor: 100_000 });
      await w.append([rec('first', 'x')]);
      // A client from the start, so that the hub (and its ring) runs while the backlog is written.
      const early = await opener(paced)({ query: { name: 'marker' } });
      await early.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
      const from = await paced.store.currentRevision();
      const big = { blob: 'x'.repeat(8 * 1024) };
      // 600 entries of 8 KB: 4.8 MB behind, 19 times the bound; the ring holds the last 200 (1.6 MB).
      for (let i = 0; i < 60; i++) await w.append(Array.from({ length: 10 }, (_, j) => rec(`big${j}`, `s${i}`, { labels: big })));
      await w.append([rec('marker', 'done')]);
      const fromStore = await opener(paced)({ query: { index: String(from) } });
      const inRing = (await streamFigures(paced.server)).floor + 1;
      const fromRing = await opener(paced)({ query: { index: String(inRing) } });
      for (const r of [fromStore, fromRing]) await r.until('the marker', hasMarker('marker'), 30_000);
      const all = dataIndexes(fromStore);
      expect(all).toHaveLength(601);
      expect(new Set(all).size).toBe(601);
      expect(all).toEqual([...all].sort((a, b) => a - b));
      expect(dataIndexes(fromRing)).toEqual(all.filter((i) => i > inRing));
      expect(dataIndexes(fromRing).length).toBeGreaterThan(150);
      expect(fromStore.closed || fromRing.closed).toBe(false);
      expect((await streamFigures(paced.server)).bufferedHighWater).toBeLessThanOrEqual(bound);
      // And then live.
      await w.append([rec('after', 'live')]);
      for (const r of [fromStore, fromRing]) await r.until('a live entry', hasMarker('after'));
      for (const r of [fromStore, fromRing, early]) await r.close();
      await w.close();
    } finally {
      await paced.close();
    }
  }, 60_000);

  it('closes with 4410 (expired, relist) when the index is older than the store keeps', async () => {
    const small = await startTestCluster({ store: { historyLimit: 100 }, server: { eventStream: { ringSize: 10 } } });
    try {
      const w = new TransitionLogWriter({ store: small.store });
      for (let i = 0; i < 30; i++) await w.append(Array.from({ length: 10 }, (_, j) => rec(`p${j}`, `s${i}`)));
      const first = await opener(small)({ query: { index: '1' } });
      expect(await first.closedWith()).toEqual({ code: 4410, reason: 'expired, relist' });
      // A fresh connection (no index) gets the snapshot instead: every actor's latest.
      const relist = await opener(small)();
      await relist.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
      expect(relist.messages.filter((m) => m.type === 'snapshot').map((m) => `${m.name as string}=${m.to as string}`).sort()).toEqual(Array.from({ length: 10 }, (_, j) => `p${j}=s29`).sort());
      await relist.close();
      await w.close();
    } finally {
      await small.close();
    }
  });
});

describe('event stream: filters, formats, authentication, history', () => {
  let cluster: TestCluster;
  let writer: TransitionLogWriter;
  let open: ReturnType<typeof opener>;
  beforeAll(async () => {
    cluster = await startTestCluster({ server: { eventStream: { heartbeatMs: 200 }, machineDefinition: (k) => (k === 'Pod' ? '{"id":"pod"}' : undefined) } });
    writer = new TransitionLogWriter({ store: cluster.store });
    open = opener(cluster);
  });
  afterAll(async () => {
    await writer?.close();
    await cluster?.close();
  });

  it('filters by kind, namespace, name and label selector (Events by their object\'s labels), as lists', async () => {
    const readers = {
      nodes: await open({ query: { kind: 'Node' } }),
      nsA: await open({ query: { namespace: 'a' } }),
      names: await open({ query: { name: ['web-1', 'db-1'] } }),
      namesComma: await open({ query: { name: 'web-1,db-1' } }),
      web: await open({ query: { labelSelector: 'app=web' } }),
      podsInB: await open({ query: { kind: 'Pod', namespace: 'b' } }),
      all: await open(),
    };
    for (const r of Object.values(readers)) await r.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
    await writer.append([
      rec('web-1', 'running', { namespace: 'a', labels: { app: 'web' } }),
      rec('web-1', 'ready', { namespace: 'a', labels: { app: 'web' }, actor: 'container:app' }),
      rec('db-1', 'running', { namespace: 'b', labels: { app: 'db' } }),
      rec('web-2', 'running', { namespace: 'b', labels: { app: 'web' } }),
      rec('n1', 'running.reachable.daemon.ready|running.reachable.heartbeats.arriving', { kind: 'Node', namespace: '' }),
    ]);
    await writer.appendEvent({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'w.1', namespace: 'a' }, involvedObject: { kind: 'Pod', namespace: 'a', name: 'web-1' }, reason: 'Started' });
    await writer.append([rec('marker', 'done', { namespace: 'z', kind: 'Marker' })]);
    await readers.all.until('the marker', hasMarker('marker'));
    const marker = readers.all.messages.find((m) => m.name === 'marker')!.index!;
    for (const r of Object.values(readers)) await r.until('a heartbeat past the marker', (x) => x.messages.some((m) => m.type === 'heartbeat' && m.index! >= marker));

    const seen = (r: StreamReader) => r.messages.filter((m) => m.type === 'transition' || m.type === 'event').map((m) => (m.type === 'event' ? `event:${(m.event as { reason: string }).reason}` : `${m.kind as string}/${m.name as string}/${m.actor as string}`));
    expect(seen(readers.nodes)).toEqual(['Node/n1/']);
    expect(seen(readers.nsA)).toEqual(['Pod/web-1/', 'Pod/web-1/container:app', 'event:Started']);
    expect(seen(readers.names)).toEqual(['Pod/web-1/', 'Pod/web-1/container:app', 'Pod/db-1/', 'event:Started']);
    expect(seen(readers.namesComma)).toEqual(seen(readers.names));
    expect(seen(readers.web)).toEqual(['Pod/web-1/', 'Pod/web-1/container:app', 'Pod/web-2/', 'event:Started']);
    expect(seen(readers.podsInB)).toEqual(['Pod/db-1/', 'Pod/web-2/']);
    expect(seen(readers.all)).toHaveLength(7);
    const node = readers.nodes.messages.find((m) => m.type === 'transition')!;
    expect(node).toMatchObject({ namespace: '', uid: 'uid-n1', from: '', event: 'test.step' });
    expect(typeof node.time).toBe('string');
    for (const r of Object.values(readers)) await r.close();
  });

  it('sends the same objects as msgpack binary frames', async () => {
    const json = await open({ query: { name: 'mp' } });
    const packed = await open({ query: { name: 'mp', format: 'msgpack' } });
    for (const r of [json, packed]) await r.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
    const frames: Buffer[] = [];
    packed.ws.on('message', (data, isBinary) => {
      if (isBinary) frames.push(data as Buffer);
    });
    await writer.append([rec('mp', 'one', { labels: { a: 'b' } }), rec('mp', 'two', { from: 'one' })]);
    for (const r of [json, packed]) await r.until('two transitions', (x) => x.indexes().length === 2);
    expect(packed.messages).toEqual(json.messages);
    // Heartbeats (every 200 ms here) may come between them.
    expect(frames.map((f) => unpack(f) as { type: string; to: string }).filter((m) => m.type === 'transition').map((m) => m.to)).toEqual(['one', 'two']);
    for (const r of [json, packed]) await r.close();
  });

  it('speaks @statelyai/inspect\'s event format with format=stately', async () => {
    await writer.append([rec('st', 'pending'), rec('st', 'waiting', { actor: 'container:app' })]);
    const r = await open({ query: { name: 'st', format: 'stately' } });
    await r.until('the actors', (x) => x.messages.length >= 2);
    await writer.append([rec('st', 'running.health.live|running.readiness.ready', { actor: 'container:app', from: 'waiting', event: 'container.started' })]);
    await r.until('event and snapshot', (x) => x.messages.length >= 4);
    const [root, child, event, snapshot] = r.messages;
    expect(root).toMatchObject({ type: '@xstate.actor', name: 'Pod', sessionId: 'Pod/default/st', definition: '{"id":"pod"}', snapshot: { status: 'active', value: 'pending' }, _version: '0.7.2' });
    expect(child).toMatchObject({ type: '@xstate.actor', name: 'Pod/container', sessionId: 'Pod/default/st/container:app', parentId: 'Pod/default/st', rootId: 'Pod/default/st', definition: '{"id":"Pod/container"}' });
    expect(event).toMatchObject({ type: '@xstate.event', sessionId: 'Pod/default/st/container:app', event: { type: 'container.started' } });
    expect(snapshot).toMatchObject({ type: '@xstate.snapshot', sessionId: 'Pod/default/st/container:app', snapshot: { value: { running: { health: 'live', readiness: 'ready' } } } });
    await r.close();
  });

  it('authenticates by header, subprotocol or access_token; refuses with 4401; bad queries get 4400', async () => {
    for (const auth of ['header', 'protocol', 'query'] as const) {
      const r = await open({ auth, query: { kind: 'Nothing' } });
      await r.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
      expect(r.protocol).toBe(auth === 'protocol' ? 'kactus.events.v1' : '');
      await r.close();
    }
    const anonymous = await open({ auth: 'none' });
    expect(await anonymous.closedWith()).toEqual({ code: 4401, reason: 'unauthorized' });
    const wrong = await open({ token: 'not-the-token' });
    expect(await wrong.closedWith()).toEqual({ code: 4401, reason: 'unauthorized' });
    for (const [query, named] of [[{ format: 'xml' }, 'format'], [{ index: '-3' }, 'index'], [{ labelSelector: 'a in (' }, 'labelSelector']] as const) {
      const bad = await open({ query });
      const { code, reason } = await bad.closedWith();
      expect(code).toBe(4400);
      expect(reason.startsWith(`${named}:`)).toBe(true);
    }
    const plain = await cluster.client.get('/kactus/v1/events');
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ kind: 'Status', message: 'Upgrade request required' });
  });

  it('serves one object\'s history (its actors, in index order); `_` for cluster-scoped objects', async () => {
    await writer.append([rec('h', 'pending'), rec('h', 'waiting', { actor: 'container:c' }), rec('h2', 'pending'), rec('h', 'running', { from: 'pending' }), rec('nh', 'ready', { kind: 'Node', namespace: '' })]);
    const res = await cluster.client.get<{ kind: string; index: number; items: { type: string; index: number; to: string; actor: string }[] }>('/kactus/v1/history/Pod/default/h');
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('TransitionHistory');
    expect(res.body.items.map((i) => `${i.actor}:${i.to}`)).toEqual([':pending', 'container:c:waiting', ':running']);
    expect(res.body.items.every((i) => i.type === 'transition')).toBe(true);
    expect(res.body.items.map((i) => i.index)).toEqual([...res.body.items.map((i) => i.index)].sort((a, b) => a - b));
    expect(res.body.index).toBeGreaterThanOrEqual(res.body.items.at(-1)!.index);
    const node = await cluster.client.get<{ items: { to: string; namespace: string }[] }>('/kactus/v1/history/Node/_/nh');
    expect(node.body.items).toMatchObject([{ to: 'ready', namespace: '' }]);
    expect((await cluster.client.get<{ items: unknown[] }>('/kactus/v1/history/Pod/default/nobody')).body.items).toEqual([]);
    expect((await cluster.client.get('/kactus/v1/history/Pod/default/h', { token: null })).status).toBe(401);
  });
});
