/**
 * The event stream of a real cluster: a master (API server, leader's controllers, gateway) and a
 * node daemon on the hollow runtime over the real mesh. A pod's own actor and its container actor
 * run on the node; their transitions reach the stream through `actor.transitions`, the master's
 * own actors' through its bus, Events through the recorder. The pod's history replays its life
 * from creation, also after the master restarts on its embedded store; two masters on one etcd
 * stream the same entries with the same indexes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../src/api/kinds.ts';
import type { KubeObject } from '../../src/api/object.ts';
import { startMaster, type Master } from '../../src/master/master.ts';
import { openEmbeddedStore } from '../../src/store/embedded/index.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';
import { startNodeDaemon, type NodeDaemon } from '../../node-daemon/daemon.ts';
import { StreamReader, type StreamMessage } from '../support/event-stream.ts';
import { etcdTestsEnabled, startEtcdCluster, type EtcdCluster } from '../support/etcd.ts';
import { waitFor } from '../support/wait.ts';
import { pino } from 'pino';

const PODS = findKind('v1', 'Pod') as ResourceInfo;

const MASTER_TIMINGS = { leaseRetryPeriodMs: 100, podSyncIntervalMs: 500, logger: pino({ level: 'silent' }) } as const;

function streamOf(master: Master, query: Record<string, string> = {}): Promise<StreamReader> {
  return StreamReader.open({ url: master.api.url, ca: master.api.caCertPem, token: master.api.adminToken, query });
}

async function joinHollowNode(master: Master, dir: string, name: string): Promise<NodeDaemon> {
  const { token } = await master.createJoinToken(600);
  return startNodeDaemon({ dataDir: join(dir, name), join: master.meshAddrs, token, runtime: 'hollow', name, heartbeatIntervalMs: 200 });
}

const webPod = (name: string): KubeObject => ({
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
});

type Transition = StreamMessage & { actor: string; from: string; to: string; event: string; name: string; uid: string; index: number };
const transitionsOf = (r: StreamReader, name: string) => r.messages.filter((m): m is Transition => m.type === 'transition' && m.name === name);

describe('event stream: a master and a hollow node daemon', () => {
  let dir: string;
  let store: Store;
  let master: Master;
  let node: NodeDaemon | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-events-'));
    store = await openEmbeddedStore(join(dir, 'store'), { fsync: false });
    master = await startMaster({ store, dataDir: join(dir, 'master'), port: 0, name: 'm1', ...MASTER_TIMINGS });
    await waitFor('leadership', () => master.isLeader());
    node = await joinHollowNode(master, dir, 'n1');
  });
  afterAll(async () => {
    await node?.close();
    await master?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams the node-hosted pod actor and its container actor, the master\'s actors and the Events; history replays the pod from creation, also after a restart', async () => {
    const pods = await streamOf(master, { kind: 'Pod', namespace: 'default' });
    const nodes = await streamOf(master, { kind: 'Node', labelSelector: 'kubernetes.io/hostname' });
    await pods.until('snapshot-end', (r) => r.messages.some((m) => m.type === 'snapshot-end'));

    const created = await master.api.registry.create(PODS, 'default', webPod('web'));
    const uid = created.metadata!.uid!;
    await pods.until('the pod running and its container running', (r) => {
      const ts = transitionsOf(r, 'web');
      return ts.some((t) => t.actor === '' && t.to === 'running') && ts.some((t) => t.actor === 'container:app' && t.to.startsWith('running.'));
    }, 20_000);
    const mine = transitionsOf(pods, 'web');
    expect(mine.every((t) => t.uid === uid && (t.labels as Record<string, string>).app === 'web')).toBe(true);
    const own = mine.filter((t) => t.actor === '');
    expect(own[0]).toMatchObject({ from: '', event: 'xstate.init' });
    expect(own.map((t) => t.to)).toEqual(expect.arrayContaining(['pending.creatingSandbox', 'pending.startingContainers', 'running']));
    const container = mine.filter((t) => t.actor === 'container:app');
    expect(container[0]).toMatchObject({ from: '', to: 'waiting' });
    expect(container.map((t) => t.to)).toContain('starting');
    // Each transition's from is the previous to, per actor.
    for (const actor of [own, container]) for (let i = 1; i < actor.length; i++) expect(actor[i]!.from).toBe(actor[i - 1]!.to);
    // Kubernetes Events too: the scheduler's (master) and the kubelet's (node).
    await pods.until('Scheduled and Started events', (r) => {
      const reasons = r.messages.filter((m) => m.type === 'event').map((m) => (m.event as { reason: string }).reason);
      return reasons.includes('Scheduled') && reasons.includes('Started');
    });
    // The master's own actors: the Node's machine on the leader.
    await nodes.until('the node actor', (r) => r.messages.some((m) => (m.type === 'snapshot' || m.type === 'transition') && m.name === 'n1'));

    const history = async (m: Master) => {
      const res = await fetchJson(m, '/kactus/v1/history/Pod/default/web');
      return (res.items as Transition[]).filter((t) => t.uid === uid);
    };
    const before = await history(master);
    const streamed = transitionsOf(pods, 'web');
    // The history holds what the stream carried (it may hold later transitions too).
    expect(before.slice(0, streamed.length).map((t) => [t.index, t.actor, t.to])).toEqual(streamed.map((t) => [t.index, t.actor, t.to]));
    // From creation: every actor's first entry is its first state.
    expect(before.find((t) => t.actor === '')).toMatchObject({ from: '', event: 'xstate.init' });
    expect(before.find((t) => t.actor === 'container:app')).toMatchObject({ from: '', event: 'xstate.init' });
    await pods.close();
    await nodes.close();

    // Restart the master on the same store: the history is the store's, not the process's.
    await node!.close({ keepContainers: true });
    node = undefined;
    await master.close();
    await store.close();
    store = await openEmbeddedStore(join(dir, 'store'), { fsync: false });
    master = await startMaster({ store, dataDir: join(dir, 'master'), port: 0, name: 'm1', ...MASTER_TIMINGS });
    const after = await history(master);
    expect(after.slice(0, before.length)).toEqual(before);
    // And a new stream's snapshot starts from what the store holds: the pod's last state.
    const again = await streamOf(master, { name: 'web' });
    await again.until('snapshot-end', (r) => r.messages.some((m) => m.type === 'snapshot-end'));
    const snapshot = again.messages.filter((m) => m.type === 'snapshot' && m.actor === '');
    expect(snapshot.at(-1)).toMatchObject({ name: 'web', to: before.filter((t) => t.actor === '').at(-1)!.to });
    await again.close();
  }, 60_000);
});

async function fetchJson(master: Master, path: string): Promise<Record<string, unknown>> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(`${master.api.url}${path}`, { ca: master.api.caCertPem, headers: { Authorization: `Bearer ${master.api.adminToken}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.runIf(etcdTestsEnabled())('event stream: two masters on one etcd', () => {
  let dir: string;
  let etcd: EtcdCluster;
  const stores: Store[] = [];
  const masters: Master[] = [];
  let node: NodeDaemon | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-events-etcd-'));
    etcd = await startEtcdCluster({ members: 1, progressNotifyIntervalMs: 500 });
    for (const name of ['m1', 'm2']) {
      const store = await openStore(etcd.uri);
      stores.push(store);
      masters.push(await startMaster({ store, dataDir: join(dir, name), port: 0, name, ...MASTER_TIMINGS }));
    }
    await waitFor('a leader', () => masters.some((m) => m.isLeader()));
    // The node joins the master that is not the leader: its transitions come in through that master's gateway.
    const follower = masters.find((m) => !m.isLeader())!;
    node = await joinHollowNode(follower, dir, 'n1');
  }, 60_000);
  afterAll(async () => {
    await node?.close();
    for (const m of masters) await m.close();
    for (const s of stores) await s.close();
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('both masters stream the same entries with the same indexes, and resume on one what the other sent', async () => {
    const [a, b] = await Promise.all(masters.map((m) => streamOf(m, { namespace: 'default' })));
    for (const r of [a!, b!]) await r.until('snapshot-end', (x) => x.messages.some((m) => m.type === 'snapshot-end'));
    await masters[0]!.api.registry.create(PODS, 'default', webPod('shared'));
    const runningBoth = (r: StreamReader) => transitionsOf(r, 'shared').some((t) => t.actor === '' && t.to === 'running');
    await a!.until('running on m1', runningBoth, 30_000);
    await b!.until('running on m2', runningBoth, 30_000);
    const key = (m: StreamMessage) => `${m.index}:${m.type}:${String(m.name ?? (m.event as { reason?: string } | undefined)?.reason)}:${String(m.actor ?? '')}:${String(m.to ?? '')}`;
    const upTo = Math.min(Math.max(...a!.indexes()), Math.max(...b!.indexes()));
    const seen = (r: StreamReader) => r.messages.filter((m) => (m.type === 'transition' || m.type === 'event') && m.index! <= upTo).map(key);
    expect(seen(a!).length).toBeGreaterThan(5);
    expect(seen(b!)).toEqual(seen(a!));
    // A client of m1 resumes on m2 from the last index m1 sent it.
    const cut = a!.indexes()[2]!;
    const resumed = await streamOf(masters[1]!, { namespace: 'default', index: String(cut) });
    await resumed.until('caught up', (r) => r.indexes().some((i) => i >= upTo), 20_000);
    expect(resumed.messages.filter((m) => m.index! <= upTo && (m.type === 'transition' || m.type === 'event')).map(key)).toEqual(seen(a!).filter((k) => Number(k.split(':')[0]) > cut));
    for (const r of [a!, b!, resumed]) await r.close();
  }, 90_000);
});
