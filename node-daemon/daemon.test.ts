/**
 * The node daemon against a real (test) master over the real mesh, with the hollow runtime:
 * join, heartbeats, pods reaching Running, reconnects after a garbage frame or a forgotten
 * admission, and several hollow nodes in one process. Docker-backed lifecycle tests live in
 * daemon.docker.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeDaemon, type NodeDaemon } from './daemon.ts';
import { InvalidMasterAddressError, JoinFailedError } from './master-link.ts';
import { startHollowNodes } from './hollow-nodes.ts';
import { HollowRuntime } from './runtime/hollow.ts';
import { TestMaster, waitFor } from './test-master.ts';
import { containerOf, deleting, phaseOf, testPod } from './test-pods.ts';

let master: TestMaster;
let dir: string;
const daemons: NodeDaemon[] = [];

beforeAll(async () => {
  master = await TestMaster.start();
  dir = await mkdtemp(join(tmpdir(), 'kactus-node-'));
});

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.close()));
});

afterAll(async () => {
  await master.stop();
  await rm(dir, { recursive: true, force: true });
});

async function hollowNode(name: string): Promise<NodeDaemon> {
  const channelsBefore = master.actorChannels.length;
  const d = await startNodeDaemon({ dataDir: join(dir, name), join: [master.addr], token: master.token, runtime: new HollowRuntime(), name, heartbeatIntervalMs: 100 });
  daemons.push(d);
  await waitFor('the actor channel', () => master.actorChannels.length > channelsBefore && master.hasChannelFrom(d.peerId));
  return d;
}

describe('node daemon (hollow runtime)', () => {
  it('joins with the token and heartbeats its status', async () => {
    const node = await hollowNode('hb-node');
    expect(node.peerId).toMatch(/^12D3/);
    await waitFor('two heartbeats', () => master.heartbeats.filter((h) => h.nodeName === 'hb-node').length >= 2);
    const hb = master.heartbeats.find((h) => h.nodeName === 'hb-node')!;
    expect(hb.ready).toBe(true);
    expect(hb.capacity).toEqual({ cpu: '4', memory: '16Gi', pods: '110' });
    expect(hb.nodeInfo.kubeletVersion).toBe('v1.32.0-kactus');
    expect(hb.nodeInfo.containerRuntimeVersion).toBe('hollow://unknown');
    expect(hb.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'hb-node' },
    ]);
  });

  it('refuses to start with a bad token', async () => {
    await expect(
      startNodeDaemon({ dataDir: join(dir, 'bad'), join: [master.addr], token: 'zzzzzz.zzzzzzzzzzzzzzzz', runtime: 'hollow', name: 'bad' }),
    ).rejects.toBeInstanceOf(JoinFailedError);
  });

  it('rejects a master address without a peer id before starting anything', async () => {
    await expect(
      startNodeDaemon({ dataDir: join(dir, 'noaddr'), join: ['/ip4/127.0.0.1/tcp/1'], token: master.token, runtime: 'hollow', name: 'noaddr' }),
    ).rejects.toBeInstanceOf(InvalidMasterAddressError);
  });

  it('runs an assigned pod to Running and reports status, events and termination', async () => {
    await hollowNode('run-node');
    const pod = testPod('run-node', 'web', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await master.assign(pod);
    await waitFor('Running', () => phaseOf(master.statusOf(pod.metadata.uid)) === 'Running');
    const status = master.statusOf(pod.metadata.uid)!;
    expect(status.hostIP).toBe('127.0.0.1');
    expect(containerOf(status, 'app')?.containerID).toMatch(/^hollow:\/\//);
    expect(master.reasonsOf(pod.metadata.uid)).toEqual(expect.arrayContaining(['SandboxCreated', 'Pulled', 'Created', 'Started']));
    await master.assign(deleting(pod, 0));
    await waitFor('pod.terminated', () => master.terminated.some((t) => t.uid === pod.metadata.uid));
    expect(master.reasonsOf(pod.metadata.uid)).toContain('Killing');
  });

  it('sends its pod actors\' transitions, the containers\' with their actor ids, in order', async () => {
    await hollowNode('stream-node');
    const pod = testPod('stream-node', 'streamed', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await master.assign(pod);
    await waitFor('the pod actor running', () => master.transitions.some((t) => t.uid === pod.metadata.uid && t.actor === '' && t.to === 'running'));
    const mine = master.transitions.filter((t) => t.uid === pod.metadata.uid);
    const own = mine.filter((t) => t.actor === '');
    const app = mine.filter((t) => t.actor === 'container:app');
    expect(own[0]).toMatchObject({ kind: 'Pod', namespace: 'default', name: 'streamed', from: '', event: 'xstate.init' });
    expect(app.map((t) => t.to).slice(0, 2)).toEqual(['waiting', 'starting']);
    for (const actor of [own, app]) for (let i = 1; i < actor.length; i++) expect(actor[i]!.from).toBe(actor[i - 1]!.to);
  });

  it('a missing image gives ImagePullBackOff, the pod stays Pending', async () => {
    const runtime = new HollowRuntime({ isImagePresent: (image) => image !== 'nothere:1' });
    const channelsBefore = master.actorChannels.length;
  const d = await startNodeDaemon({ dataDir: join(dir, 'pull'), join: [master.addr], token: master.token, runtime, name: 'pull-node' });
    daemons.push(d);
    await waitFor('the actor channel', () => master.actorChannels.length > channelsBefore && master.hasChannelFrom(d.peerId));
    const pod = testPod('pull-node', 'nothere', 'Always', [{ name: 'app', script: 'true', image: 'nothere:1' }]);
    await master.assign(pod);
    await waitFor('ImagePullBackOff', () => containerOf(master.statusOf(pod.metadata.uid), 'app')?.state.waiting?.reason === 'ImagePullBackOff');
    expect(phaseOf(master.statusOf(pod.metadata.uid))).toBe('Pending');
    expect(master.reasonsOf(pod.metadata.uid)).toEqual(expect.arrayContaining(['Failed', 'BackOff']));
  });

  it('a garbage frame ends that channel only: the daemon reconnects and keeps serving', async () => {
    await hollowNode('garbage-node');
    const before = master.actorChannels.length;
    master.sendRaw(Uint8Array.from([3, 0x93, 0x01, 0x02])); // a msgpack array, not an envelope
    await waitFor('a new actor channel', () => master.actorChannels.length > before);
    const pod = testPod('garbage-node', 'after', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await master.assign(pod);
    await waitFor('Running after the reconnect', () => phaseOf(master.statusOf(pod.metadata.uid)) === 'Running');
  });

  it('a malformed message body ends the channel; the daemon reconnects', async () => {
    await hollowNode('malformed-node');
    const before = master.actorChannels.length;
    await master.actorChannel!.send('pod.assign', { pod: 'not an object' });
    await waitFor('a new actor channel', () => master.actorChannels.length > before);
  });

  it('joins again when the master no longer admits it', async () => {
    const node = await hollowNode('rejoin-node');
    const joinsBefore = master.joins.filter((n) => n === 'rejoin-node').length;
    const channels = master.actorChannels.length;
    master.forgetPeers();
    await master.actorChannel!.close();
    await waitFor('a second join', () => master.joins.filter((n) => n === 'rejoin-node').length > joinsBefore);
    await waitFor('the actor channel again', () => master.actorChannels.length > channels && master.hasChannelFrom(node.peerId));
    const pod = testPod('rejoin-node', 'again', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await master.assign(pod);
    await waitFor('Running after the re-join', () => phaseOf(master.statusOf(pod.metadata.uid)) === 'Running');
  });

  it('pods.sync tears down pods the master no longer lists', async () => {
    const node = await hollowNode('sync-node');
    const keep = testPod('sync-node', 'keep', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    const drop = testPod('sync-node', 'drop', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await master.assign(keep);
    await master.assign(drop);
    await waitFor('both Running', () => [keep, drop].every((p) => phaseOf(master.statusOf(p.metadata.uid)) === 'Running'));
    await master.sync([keep.metadata.uid]);
    await waitFor('drop removed', async () => (await node.runtime.listPods()).every((p) => p.podUid !== drop.metadata.uid));
    expect((await node.runtime.listPods()).map((p) => p.podUid)).toEqual([keep.metadata.uid]);
    expect(master.terminated.some((t) => t.uid === drop.metadata.uid)).toBe(false);
  });
});

describe('hollow nodes', () => {
  it('starts N nodes in one process, each with its own identity, all heartbeating', async () => {
    const hollow = await startHollowNodes(3, { dataDir: join(dir, 'hollow'), join: [master.addr], token: master.token, heartbeatIntervalMs: 100, namePrefix: 'h' });
    try {
      expect(new Set(hollow.nodes.map((n) => n.peerId)).size).toBe(3);
      await waitFor('heartbeats from every node', () => ['h-0', 'h-1', 'h-2'].every((n) => master.heartbeats.some((h) => h.nodeName === n)));
    } finally {
      await hollow.close();
    }
  });
});
