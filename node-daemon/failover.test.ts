/**
 * A node daemon between several masters, and alone (hollow runtime, real mesh, test masters):
 * it learns every master from `masters.known`, fails over at once when its master goes away
 * (stopped) or within the silence limit when it goes quiet, keeps its pods running across the
 * move (statuses resent, a pod assigned by the new master starts), and fences itself — every pod
 * Failed, NodeLost, its containers stopped — when no master renews its lease for the announced
 * period.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { MASTER_SILENCE_MS } from '../src/net/protocols.ts';
import { startNodeDaemon, type NodeDaemon } from './daemon.ts';
import { HollowRuntime } from './runtime/hollow.ts';
import { TestMaster, waitFor } from './test-master.ts';
import { phaseOf, testPod } from './test-pods.ts';

let dir: string;
const masters: TestMaster[] = [];
const daemons: NodeDaemon[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-failover-'));
});

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.close()));
  await Promise.all(masters.splice(0).map((m) => m.stop()));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function startMasters(n: number): Promise<TestMaster[]> {
  const started = await Promise.all(Array.from({ length: n }, () => TestMaster.start()));
  masters.push(...started);
  return started;
}

async function node(name: string, join_: string[], runtime: HollowRuntime): Promise<NodeDaemon> {
  const d = await startNodeDaemon({ dataDir: join(dir, name), join: join_, token: masters[0]!.token, runtime, name, heartbeatIntervalMs: 100 });
  daemons.push(d);
  return d;
}

const running = (m: TestMaster, uid: string) => phaseOf(m.statusOf(uid)) === 'Running';

describe('node daemon between masters', () => {
  it('moves to the next master it learnt of within a second of its master stopping; its pods keep running and a new one starts', async () => {
    const [a, b] = (await startMasters(2)) as [TestMaster, TestMaster];
    const runtime = new HollowRuntime();
    const d = await node('fo-stop', [a.addr], runtime);
    await waitFor('the actor channel on a', () => a.hasChannelFrom(d.peerId));
    b.admit(d.peerId);
    await a.tellMasters([a.addr, b.addr]);
    const pod = testPod('fo-stop', 'kept', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await a.assign(pod);
    await waitFor('Running on a', () => running(a, pod.metadata.uid));
    const containerId = (await runtime.listPods()).find((p) => p.podUid === pod.metadata.uid)!.containers[0]!.id;

    const stoppedAt = performance.now();
    await a.host.stop();
    await waitFor('the actor channel on b', () => b.hasChannelFrom(d.peerId), 5000);
    const failoverMs = performance.now() - stoppedAt;
    console.log(`failover to the next master: ${failoverMs.toFixed(0)} ms`);
    expect(failoverMs).toBeLessThan(1500);
    // The new master hears the pod's status again (the outbox resends it) and heartbeats.
    await b.assign(pod);
    await waitFor('Running on b', () => running(b, pod.metadata.uid));
    await waitFor('heartbeats on b', () => b.heartbeats.some((h) => h.nodeName === 'fo-stop'));
    const after = (await runtime.listPods()).find((p) => p.podUid === pod.metadata.uid)!.containers;
    expect(after.map((c) => [c.id, c.state])).toEqual([[containerId, 'running']]);
    // A pod assigned by the new master starts.
    const fresh = testPod('fo-stop', 'fresh', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await b.assign(fresh);
    await waitFor('the new pod Running on b', () => running(b, fresh.metadata.uid));
  });

  it('leaves a master that goes silent after answering heartbeats, within the silence limit', async () => {
    const [a, b] = (await startMasters(2)) as [TestMaster, TestMaster];
    const d = await node('fo-silent', [a.addr, b.addr], new HollowRuntime());
    await waitFor('the actor channel on a', () => a.hasChannelFrom(d.peerId));
    b.admit(d.peerId);
    await waitFor('an acknowledged heartbeat', () => a.heartbeats.some((h) => h.nodeName === 'fo-silent'));
    const silentAt = performance.now();
    a.acks = undefined;
    await waitFor('the actor channel on b', () => b.hasChannelFrom(d.peerId), MASTER_SILENCE_MS + 3000);
    const ms = performance.now() - silentAt;
    console.log(`failover from a silent master: ${ms.toFixed(0)} ms`);
    expect(ms).toBeGreaterThanOrEqual(MASTER_SILENCE_MS - 150);
    expect(ms).toBeLessThan(MASTER_SILENCE_MS + 1500);
  });

  it('leaves a master that answers heartbeats without renewing the Lease (its store out), within the silence limit', async () => {
    const [a, b] = (await startMasters(2)) as [TestMaster, TestMaster];
    const d = await node('fo-norenew', [a.addr, b.addr], new HollowRuntime());
    await waitFor('the actor channel on a', () => a.hasChannelFrom(d.peerId));
    b.admit(d.peerId);
    await waitFor('an acknowledged heartbeat', () => a.heartbeats.some((h) => h.nodeName === 'fo-norenew'));
    const since = performance.now();
    a.acks = { leaseRenewed: false, selfFenceAfterMs: 3_600_000 };
    await waitFor('the actor channel on b', () => b.hasChannelFrom(d.peerId), MASTER_SILENCE_MS + 3000);
    const ms = performance.now() - since;
    console.log(`failover from a master that cannot renew: ${ms.toFixed(0)} ms`);
    expect(ms).toBeGreaterThanOrEqual(MASTER_SILENCE_MS - 1150);
    expect(ms).toBeLessThan(MASTER_SILENCE_MS + 1500);
  });
});

describe('self-fencing', () => {
  it('fails and stops every pod when no renewal is acknowledged for the announced period, and runs pods again once renewals resume', async () => {
    const [a] = (await startMasters(1)) as [TestMaster];
    a.acks = { leaseRenewed: true, selfFenceAfterMs: 800 };
    const runtime = new HollowRuntime();
    const d = await node('fence', [a.addr], runtime);
    await waitFor('the actor channel', () => a.hasChannelFrom(d.peerId));
    const pod = testPod('fence', 'web', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await a.assign(pod);
    await waitFor('Running', () => running(a, pod.metadata.uid));

    // The master still answers, but its store does not renew the lease (what an etcd outage looks like).
    const since = performance.now();
    a.acks = { leaseRenewed: false, selfFenceAfterMs: 800 };
    await waitFor('the pod Failed by the node', () => phaseOf(a.statusOf(pod.metadata.uid)) === 'Failed', 5000);
    const fencedMs = performance.now() - since;
    console.log(`self-fenced after ${fencedMs.toFixed(0)} ms without a renewal (period 800 ms)`);
    // Counted from the last renewed heartbeat's sending, never later than the period after it.
    expect(fencedMs).toBeLessThan(800 + 500);
    expect(a.statusOf(pod.metadata.uid)).toMatchObject({ phase: 'Failed', reason: 'NodeLost' });
    expect(String(a.statusOf(pod.metadata.uid)?.message)).toContain('lost every master for 0.8s');
    expect(a.reasonsOf(pod.metadata.uid)).toContain('NodeLost');
    const held = (await runtime.listPods()).find((p) => p.podUid === pod.metadata.uid)!;
    expect(held.containers.map((c) => c.state)).toEqual(['exited']);

    // Renewals again: the node runs what it is given.
    a.acks = { leaseRenewed: true, selfFenceAfterMs: 800 };
    const next = testPod('fence', 'again', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await a.assign(next);
    await waitFor('the new pod Running', () => running(a, next.metadata.uid));
    await new Promise((r) => setTimeout(r, 1200));
    expect(running(a, next.metadata.uid)).toBe(true);
  });
});
