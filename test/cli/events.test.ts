/**
 * `kactus events [-w]` as a user runs it (`bin/kactus.js` in a child process) against a real API
 * server over a real embedded store, fed through the transition log's real writer: the snapshot
 * then exit; following new transitions and Events; filters; and the client's side of the close
 * codes — 4429 (slow consumer, made real by stopping the process) and a server going away resume
 * from the last index with nothing missed or doubled, 4410 takes a new snapshot, 4401 and 4400 are
 * errors.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransitionRecord } from '../../src/api/transition.ts';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.ts';
import { startApiServer, type ApiServer, type EventStreamOptions } from '../../src/apiserver/server.ts';
import { RECORDS_PREFIX } from '../../src/registry/transition-log/keys.ts';
import { TransitionLogWriter } from '../../src/registry/transition-log/writer.ts';
import type { Store } from '../../src/store/types.ts';
import { startTestCluster, type TestCluster } from '../apiserver/harness.ts';
import { runKactus, spawnKactus, type KactusProcess } from '../support/kactus-cli.ts';
import { streamFigures } from '../support/event-stream.ts';

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

interface Message {
  type: string;
  index: number;
  name?: string;
  to?: string;
  event?: { reason?: string };
}

const messages = (p: KactusProcess): Message[] => p.lines.map((l) => JSON.parse(l) as Message);
const dataIndexes = (ms: Message[]): number[] => ms.filter((m) => m.type === 'transition' || m.type === 'event').map((m) => m.index);
const reconnects = (p: KactusProcess): number => p.stderr.split('\n').filter((l) => l.includes('reconnecting from index')).length;
const printedMarker = (name: string) => (p: KactusProcess) => p.lines.length > 0 && p.lines[p.lines.length - 1]!.includes(`"name":"${name}"`);

/** Every record's index in the log after `after` (the writers here never trim: what a follower must have seen). */
async function loggedIndexes(store: Store, after: number): Promise<number[]> {
  const out: number[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.list(RECORDS_PREFIX, { limit: 1000, ...(startAfter === undefined ? {} : { startAfter }) });
    for (const kv of page.items) if (kv.modRevision > after) out.push(kv.modRevision);
    if (!page.more || page.items.length === 0) break;
    startAfter = page.items[page.items.length - 1]!.key;
  }
  return out.sort((a, b) => a - b);
}

/** Stops the cluster's current server (clients see it go away) and, after `whileDown`, serves the same store on the same port again. */
async function restartServer(c: TestCluster, current: ApiServer, eventStream: EventStreamOptions, whileDown: () => Promise<void> = async () => {}): Promise<ApiServer> {
  await current.close();
  await whileDown();
  return startApiServer({ store: c.store, dataDir: c.dir, port: c.server.port, logger: pino({ level: 'silent' }), eventStream });
}

describe('kactus events', () => {
  let cluster: TestCluster;
  let writer: TransitionLogWriter;
  beforeAll(async () => {
    cluster = await startTestCluster();
    writer = new TransitionLogWriter({ store: cluster.store });
    await writer.append([
      rec('web', 'running', { labels: { app: 'web' } }),
      rec('web', 'running.ready', { actor: 'container:app', from: 'starting', event: 'container.ready', labels: { app: 'web' } }),
      rec('db', 'running', { namespace: 'other', labels: { app: 'db' } }),
      rec('n1', 'running', { kind: 'Node', namespace: '' }),
    ]);
  });
  afterAll(async () => {
    await writer?.close();
    await cluster?.close();
  });

  it('without -w prints every matching actor\'s current state and exits; -A, --kind and -o json', async () => {
    const plain = await runKactus(cluster.kubeconfigPath, ['events']);
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    const lines = plain.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}Pod\/default\/web +- += running {2}\(test\.step\)$/);
    expect(lines[1]).toMatch(/Pod\/default\/web +container:app += running\.ready {2}\(container\.ready\)$/);

    const all = await runKactus(cluster.kubeconfigPath, ['events', '-A', '-o', 'json']);
    expect(all.code).toBe(0);
    const ms = all.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Message);
    expect(ms.map((m) => m.type)).toEqual(['snapshot', 'snapshot', 'snapshot', 'snapshot', 'snapshot-end']);
    expect(ms.filter((m) => m.type === 'snapshot').map((m) => m.name).sort()).toEqual(['db', 'n1', 'web', 'web']);

    const nodes = await runKactus(cluster.kubeconfigPath, ['events', '--kind', 'Node']);
    expect(nodes.code).toBe(0);
    expect(nodes.stdout).toMatch(/^\S+ {2}Node\/n1 +- += running/);
    expect(nodes.stdout.trimEnd().split('\n')).toHaveLength(1);

    const other = await runKactus(cluster.kubeconfigPath, ['-n', 'other', 'events', '-l', 'app=db']);
    expect(other.stdout).toContain('Pod/other/db');
    expect(other.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('-w follows: a line for each new transition and Event of the objects the filters name, as they happen', async () => {
    const human = spawnKactus(cluster.kubeconfigPath, ['events', '-w', '--name', 'web']);
    const json = spawnKactus(cluster.kubeconfigPath, ['events', '-w', '-l', 'app=web', '-o', 'json']);
    try {
      await json.until('snapshot-end', (p) => p.lines.some((l) => l.includes('"snapshot-end"')));
      await human.until('the snapshot', (p) => p.lines.length === 2);
      await writer.append([
        rec('web', 'terminating', { from: 'running', event: 'pod.delete', labels: { app: 'web' } }),
        rec('db', 'terminating', { namespace: 'other', labels: { app: 'db' } }),
        rec('api', 'running', { labels: { app: 'api' } }),
      ]);
      await writer.appendEvent({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.1', namespace: 'default' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' }, type: 'Normal', reason: 'Killing', message: 'Stopping container app' });
      await human.until('the transition and the Event', (p) => p.lines.length === 4);
      expect(human.lines[2]).toMatch(/Pod\/default\/web +- +running → terminating {2}\(pod\.delete\)$/);
      expect(human.lines[3]).toMatch(/Pod\/default\/web +Event Normal Killing: Stopping container app$/);
      await json.until('the transition and the Event', (p) => messages(p).filter((m) => m.type === 'transition' || m.type === 'event').length === 2);
      expect(messages(json).filter((m) => m.type === 'transition' || m.type === 'event').map((m) => [m.type, m.name ?? m.event?.reason])).toEqual([
        ['transition', 'web'],
        ['event', 'Killing'],
      ]);
      // Ctrl-C ends it cleanly.
      expect(await human.stop('SIGINT')).toBe(0);
      expect(await json.stop('SIGTERM')).toBe(0);
    } finally {
      await human.stop('SIGKILL');
      await json.stop('SIGKILL');
    }
  });

  it('-w ends when its reader goes away (`| head`)', async () => {
    const follower = spawnKactus(cluster.kubeconfigPath, ['events', '-w', '--name', 'gone']);
    try {
      await writer.append([rec('gone', 'one')]);
      await follower.until('a line', (p) => p.lines.length === 1);
      follower.child.stdout!.destroy();
      // The next line meets a closed pipe.
      await writer.append([rec('gone', 'two')]);
      expect(await follower.exited).toBe(0);
    } finally {
      await follower.stop('SIGKILL');
    }
  });

  it('4401 (a token the server refuses) and 4400 (a bad selector) are errors, not retried', async () => {
    const badKubeconfig = join(cluster.dir, 'bad-kubeconfig');
    await writeFile(badKubeconfig, buildKubeconfig({ url: cluster.server.url, caCertPem: cluster.server.caCertPem, token: 'not-a-token' }), { mode: 0o600 });
    const refused = await runKactus(badKubeconfig, ['events', '-w']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('error: You must be logged in to the server (the event stream closed with 4401: unauthorized)\n');
    const bad = await runKactus(cluster.kubeconfigPath, ['events', '-w', '-l', 'app in (']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: event stream: bad request: labelSelector: /);
    const flags = await runKactus(cluster.kubeconfigPath, ['events', '--index', '5']);
    expect(flags.code).toBe(1);
    expect(flags.stderr).toBe('error: --index resumes a followed stream: add -w\n');
  });
});

describe('kactus events -w: reconnects', () => {
  it('a slow consumer closed with 4429, then a server going away: resumes from the last index, nothing missed or doubled', async () => {
    const limits: EventStreamOptions = { maxBufferedBytes: 1024 * 1024, closeTimeoutMs: 20_000 };
    const cluster = await startTestCluster({ store: { historyLimit: 100_000 }, server: { eventStream: limits } });
    // Never trims (so the store lists everything a follower must have seen).
    const writer = new TransitionLogWriter({ store: cluster.store, perActor: 100_000, perObject: 100_000 });
    let server = cluster.server;
    const follower = spawnKactus(cluster.kubeconfigPath, ['events', '-w', '-A', '-o', 'json']);
    try {
      await writer.append([rec('before', 'running')]);
      await follower.until('snapshot-end', (p) => p.lines.some((l) => l.includes('"snapshot-end"')));
      const start = messages(follower).find((m) => m.type === 'snapshot-end')!.index;

      // The process stops reading: the kernel's buffers fill (tens of MB on loopback), then the
      // server's, then 4429. Batches of 160 KB: each fits the bound, so only the stop closes it.
      follower.signal('SIGSTOP');
      const big = { blob: 'x'.repeat(4 * 1024) };
      let batches = 0;
      while ((await streamFigures(server)).clients > 0) {
        if (batches === 1000) throw new Error('the stopped client was never closed');
        await writer.append(Array.from({ length: 40 }, (_, j) => rec(`big${j}`, `s${batches}`, { labels: big })));
        batches++;
        // A turn of the event loop between batches, as between writes arriving from the network: the server flushes to the socket.
        await new Promise((resolve) => setImmediate(resolve));
      }
      follower.signal('SIGCONT');
      await follower.until('the reconnect after 4429', (p) => /4429 slow consumer\); reconnecting from index \d+/.test(p.stderr), 30_000);
      expect(reconnects(follower)).toBe(1);
      await writer.append([rec('marker1', 'done')]);
      await follower.until('marker1', printedMarker('marker1'), 30_000);

      // The server goes away; what is written meanwhile arrives after the restart.
      server = await restartServer(cluster, server, limits, async () => {
        await follower.until('the follower to see the server go', (p) => reconnects(p) === 2);
        for (let i = 0; i < 10; i++) await writer.append(Array.from({ length: 10 }, (_, j) => rec(`down${j}`, `s${i}`)));
      });
      await writer.append([rec('marker2', 'done')]);
      await follower.until('marker2', printedMarker('marker2'), 30_000);

      const printed = dataIndexes(messages(follower));
      expect(new Set(printed).size).toBe(printed.length);
      expect(printed).toEqual(await loggedIndexes(cluster.store, start));
      expect(printed.length).toBe(batches * 40 + 1 + 100 + 1);
      expect(messages(follower).filter((m) => m.type === 'snapshot-end')).toHaveLength(1);
    } finally {
      follower.signal('SIGCONT');
      await follower.stop('SIGKILL');
      await writer.close();
      await server.close();
      await cluster.close();
    }
  }, 120_000);

  it('an index the store no longer holds (4410): a new snapshot, then on', async () => {
    const limits: EventStreamOptions = { ringSize: 10 };
    const cluster = await startTestCluster({ store: { historyLimit: 100 }, server: { eventStream: limits } });
    const writer = new TransitionLogWriter({ store: cluster.store });
    let server = cluster.server;
    const follower = spawnKactus(cluster.kubeconfigPath, ['events', '-w', '-o', 'json']);
    try {
      await writer.append([rec('p0', 'new')]);
      await follower.until('snapshot-end', (p) => p.lines.some((l) => l.includes('"snapshot-end"')));
      // While the server is away, the store moves on far past what it keeps.
      server = await restartServer(cluster, server, limits, async () => {
        for (let i = 0; i < 30; i++) await writer.append(Array.from({ length: 10 }, (_, j) => rec(`p${j}`, `s${i}`)));
      });
      await follower.until('the second snapshot', (p) => p.lines.filter((l) => l.includes('"snapshot-end"')).length === 2, 30_000);
      expect(follower.stderr).toContain('event stream: the index expired (4410); starting again from a new snapshot');
      const ms = messages(follower);
      const second = ms.slice(ms.findIndex((m) => m.type === 'snapshot-end') + 1);
      expect(second.filter((m) => m.type === 'snapshot').map((m) => `${m.name}=${m.to}`).sort()).toEqual(Array.from({ length: 10 }, (_, j) => `p${j}=s29`).sort());
      await writer.append([rec('marker', 'done')]);
      await follower.until('the marker', printedMarker('marker'));
      expect(messages(follower).at(-1)).toMatchObject({ type: 'transition', name: 'marker', to: 'done' });
    } finally {
      await follower.stop('SIGKILL');
      await writer.close();
      await server.close();
      await cluster.close();
    }
  }, 60_000);
});
