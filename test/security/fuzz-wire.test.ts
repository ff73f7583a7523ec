/**
 * Fuzzing the mesh wire (issue 15): fast-check frames (fuzz/wire-frames.ts) — truncated,
 * oversized, random and wrong-shaped msgpack, wrong message types, huge length prefixes — each on
 * a fresh stream.
 *
 * Master side: 10,000 fuzzed streams on a real master's protocols (join, actor, heartbeat, watch)
 * from a fuzzing libp2p peer that joined (so its streams are admitted; a tenth from a peer that
 * never joined), while a real node daemon (hollow runtime) stays connected. Throughout: the
 * node's heartbeats keep renewing its Lease, its actor channel stays open, pods bound to it
 * meanwhile are acknowledged (Running), the fuzzer's own long-lived heartbeat channel on the same
 * connection is never closed (a bad frame closes only its own stream), and the API answers.
 *
 * Node side: a fake master (node-daemon/test-master.ts, the real protocols) sends fuzzed frames
 * to the daemon's streams (logs, exec, attach, port-forward) and garbage on its actor channel;
 * the daemon keeps heartbeating, reconnects its channel, and still runs a pod it is assigned.
 * Seeded: a failure prints its seed (KACTUS_FUZZ_SEED=<seed> replays the run).
 */
import fc from 'fast-check';
import pino from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../src/api/kinds.ts';
import { isRecord, type KubeObject } from '../../src/api/object.ts';
import { startMaster, type Master } from '../../src/master/master.ts';
import { openChannel, type Channel } from '../../src/net/channel.ts';
import { createMeshHost, type MeshHost } from '../../src/net/host.ts';
import { requestJoin } from '../../src/net/join.ts';
import { PROTOCOL_ACTOR, PROTOCOL_ATTACH, PROTOCOL_EXEC, PROTOCOL_HEARTBEAT, PROTOCOL_JOIN, PROTOCOL_LOGS, PROTOCOL_PORTFORWARD, PROTOCOL_WATCH } from '../../src/net/protocols.ts';
import { openEmbeddedStore } from '../../src/store/embedded/index.ts';
import type { Store } from '../../src/store/types.ts';
import { startNodeDaemon, type NodeDaemon } from '../../node-daemon/daemon.ts';
import { HollowRuntime } from '../../node-daemon/runtime/hollow.ts';
import { TestMaster } from '../../node-daemon/test-master.ts';
import { testPod } from '../../node-daemon/test-pods.ts';
import { waitFor } from '../support/wait.ts';
import { recordFigure } from '../support/figures.ts';
import { probeStream, type ProbeOutcome } from './fuzz/probe-stream.ts';
import { wireCase, type WireCase } from './fuzz/wire-frames.ts';
import { fuzzSeed } from './fuzz/seed.ts';

const SEED = fuzzSeed();
const MASTER_FRAMES = Number(process.env.KACTUS_FUZZ_WIRE_FRAMES ?? 10_000);
const NODE_FRAMES = Number(process.env.KACTUS_FUZZ_NODE_FRAMES ?? 1_000);
const BATCH = 100;
const CONCURRENCY = 32;

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;
const SERVICE_ACCOUNTS = findKind('v1', 'ServiceAccount') as ResourceInfo;

const CAPACITY = { cpu: '2', memory: '4Gi', pods: '110' };

/** Runs `fn` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function tallyOutcome(outcomes: Map<ProbeOutcome, number>, outcome: ProbeOutcome): void {
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

const phaseOf = (pod: KubeObject): unknown => (isRecord(pod.status) ? pod.status.phase : undefined);

describe('wire fuzzing: a master keeps serving its node', () => {
  let dir: string;
  let store: Store;
  let master: Master;
  let steady: NodeDaemon;
  let fuzzer: MeshHost;
  let stranger: MeshHost;
  let fuzzerHeartbeat: Channel;
  let beating: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-fuzz-wire-'));
    store = await openEmbeddedStore(join(dir, 'store'), { fsync: false });
    master = await startMaster({ store, dataDir: join(dir, 'master'), port: 0, name: 'm', leaseRetryPeriodMs: 100, podSyncIntervalMs: 1000, ...(process.env.KACTUS_FUZZ_LOG ? { logger: pino({ level: 'debug' }, pino.destination(process.env.KACTUS_FUZZ_LOG)) } : {}) });
    const { token } = await master.createJoinToken(3600);
    steady = await startNodeDaemon({ dataDir: join(dir, 'steady'), join: master.meshAddrs, token, runtime: new HollowRuntime(), name: 'steady', heartbeatIntervalMs: 200 });
    await waitFor('node steady registered', () => master.api.registry.get(NODES, undefined, 'steady').catch(() => undefined), 20_000);
    await waitFor('the default ServiceAccount', () => master.api.registry.get(SERVICE_ACCOUNTS, 'default', 'default').catch(() => undefined), 20_000);
    fuzzer = await createMeshHost({ dataDir: join(dir, 'fuzzer') });
    stranger = await createMeshHost({ dataDir: join(dir, 'stranger') });
    await requestJoin(fuzzer, master.meshAddrs[0]!, { token, nodeName: 'fuzzer', capacity: CAPACITY, addresses: [] });
    // The fuzzer's own well-behaved channel, on the same connection as every fuzzed stream.
    fuzzerHeartbeat = await openChannel(fuzzer, master.meshAddrs[0]!, PROTOCOL_HEARTBEAT, () => {});
    const beat = (): void =>
      void fuzzerHeartbeat
        .send('node.heartbeat', {
          nodeName: 'fuzzer',
          ready: true,
          capacity: CAPACITY,
          allocatable: CAPACITY,
          nodeInfo: { kubeletVersion: 'fuzzer', containerRuntimeVersion: 'none://0', operatingSystem: 'linux', architecture: 'amd64' },
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          time: new Date().toISOString(),
        })
        .catch(() => undefined);
    beat();
    beating = setInterval(beat, 500);
  }, 60_000);

  afterAll(async () => {
    clearInterval(beating);
    await fuzzer?.stop();
    await stranger?.stop();
    await steady?.close();
    await master?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`${MASTER_FRAMES} fuzzed streams on join, actor, heartbeat and watch: each closes only itself, the node is served throughout`, async () => {
    const addr = multiaddr(master.meshAddrs[0]!);
    const registry = master.api.registry;
    const outcomes = new Map<ProbeOutcome, number>();
    let frames = 0;
    let streams = 0;
    let podsAcknowledged = 0;
    let leaseRenewals = 0;
    let batches = 0;
    let fuzzerChannelClosed = false;
    void fuzzerHeartbeat.closed.then(() => (fuzzerChannelClosed = true));
    const renewTime = async (): Promise<string> => String(((await registry.get(LEASES, 'kube-node-lease', 'steady')).spec as { renewTime?: string }).renewTime);
    let lastRenew = await waitFor('the steady node Lease', () => renewTime().catch(() => undefined), 20_000);
    const started = Date.now();
    // The master's event loop: held long, libp2p's ping monitor drops every connection (5 s).
    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    let maxLagMs = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(wireCase([PROTOCOL_JOIN, PROTOCOL_ACTOR, PROTOCOL_HEARTBEAT, PROTOCOL_WATCH]), fc.nat(9)), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          batches += 1;
          const problems: string[] = [];
          await pool(batch, CONCURRENCY, async ([c, who]: [WireCase, number]) => {
            const fromStranger = who === 0;
            const { outcome, error } = await probeStream(fromStranger ? stranger : fuzzer, addr, c.protocol, c.bytes, c.closeWrite);
            streams += 1;
            frames += c.category.split(' + ').length;
            tallyOutcome(outcomes, outcome);
            if (outcome === 'refused') problems.push(`the master refused a stream of ${c.protocol} (${c.category}): ${error}`);
          });
          maxLagMs = Math.max(maxLagMs, Math.round(lag.max / 1e6));
          lag.reset();
          // The steady node is served: its heartbeats keep renewing its Lease, its actor channel stays.
          const renewed = await waitFor('a Lease renewal of node steady', async () => {
            const now = await renewTime();
            return now !== lastRenew ? now : undefined;
          }, 10_000).catch(() => undefined);
          if (renewed) {
            lastRenew = renewed;
            leaseRenewals += 1;
          } else problems.push('the steady node\'s Lease was not renewed for 10 s');
          if (!master.gateway.connectedNodes().includes('steady')) problems.push('the steady node lost its actor channel');
          if (fuzzerChannelClosed) problems.push("the fuzzer's own heartbeat channel was closed by a bad frame on another stream");
          // A pod assigned meanwhile is acknowledged (every tenth batch: each takes a round trip through the node).
          if (batches % 10 === 1) {
            const pod = await registry.create(PODS, 'default', { metadata: { generateName: 'during-fuzz-' }, spec: { nodeName: 'steady', containers: [{ name: 'c', image: 'busybox' }] } });
            const running = await waitFor('the pod Running', async () => (phaseOf(await registry.get(PODS, 'default', pod.metadata!.name!)) === 'Running' ? true : undefined), 15_000).catch(() => false);
            if (running) podsAcknowledged += 1;
            else problems.push(`pod ${pod.metadata!.name} bound to the steady node was not acknowledged within 15 s`);
            await registry.delete(PODS, 'default', pod.metadata!.name!, { gracePeriodSeconds: 0 }).catch(() => undefined);
          }
          if (problems.length) throw new Error(`seed ${SEED}: ${problems.join('; ')}`);
        }),
        { seed: SEED, numRuns: Math.ceil(MASTER_FRAMES / BATCH), endOnFailure: true },
      );
    } finally {
      console.log(`wire fuzz (master): seed ${SEED}, ${streams} streams, ${frames} frames in ${((Date.now() - started) / 1000).toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
      recordFigure('wire fuzz (master): fuzzed streams', streams);
      recordFigure('wire fuzz (master): fuzzed frames', frames);
      recordFigure('wire fuzz (master): streams the master reset or closed', (outcomes.get('reset') ?? 0) + (outcomes.get('closed') ?? 0));
      recordFigure('wire fuzz (master): streams refused (master stopped serving)', outcomes.get('refused') ?? 0);
      recordFigure('wire fuzz (master): Lease renewals of the steady node checked', leaseRenewals);
      recordFigure('wire fuzz (master): pods bound meanwhile and acknowledged', podsAcknowledged);
      recordFigure('wire fuzz (master): longest event-loop stall (ms)', maxLagMs);
    }
    expect(master.gateway.connectedNodes()).toContain('steady');
  }, 900_000);
});

describe('wire fuzzing: a node daemon survives a fake master', () => {
  let fake: TestMaster;
  let dir: string;
  let daemon: NodeDaemon;

  beforeAll(async () => {
    fake = await TestMaster.start();
    dir = await mkdtemp(join(tmpdir(), 'kactus-fuzz-node-'));
    daemon = await startNodeDaemon({ dataDir: join(dir, 'node'), join: [fake.addr], token: fake.token, runtime: new HollowRuntime(), name: 'fuzzed', heartbeatIntervalMs: 100 });
    await waitFor('the actor channel', () => fake.hasChannelFrom(daemon.peerId));
  });

  afterAll(async () => {
    await daemon?.close();
    await fake?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`${NODE_FRAMES} fuzzed streams on logs, exec, attach and port-forward, garbage on its actor channel: it keeps heartbeating and runs a pod`, async () => {
    const addr = multiaddr(daemon.mesh.getMultiaddrs()[0]!.toString());
    const outcomes = new Map<ProbeOutcome, number>();
    let streams = 0;
    let channelGarbage = 0;
    let reconnects = 0;
    let batches = 0;
    const started = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(wireCase([PROTOCOL_LOGS, PROTOCOL_EXEC, PROTOCOL_ATTACH, PROTOCOL_PORTFORWARD]), { minLength: BATCH, maxLength: BATCH }), fc.uint8Array({ minLength: 1, maxLength: 64 }), async (batch, garbage) => {
          batches += 1;
          const problems: string[] = [];
          await pool(batch, CONCURRENCY, async (c) => {
            const { outcome, error } = await probeStream(fake.host, addr, c.protocol, c.bytes, c.closeWrite);
            streams += 1;
            tallyOutcome(outcomes, outcome);
            if (outcome === 'refused') problems.push(`the node refused a stream of ${c.protocol} (${c.category}): ${error}`);
          });
          // Garbage on the node's actor channel: it drops that channel and opens a new one.
          const channels = fake.actorChannels.length;
          fake.sendRaw(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, ...garbage]));
          channelGarbage += 1;
          const reopened = await waitFor('a new actor channel', () => (fake.actorChannels.length > channels && fake.hasChannelFrom(daemon.peerId) ? true : undefined), 15_000).catch(() => false);
          if (reopened) reconnects += 1;
          else problems.push('the node did not reopen its actor channel after a garbage frame');
          const beats = fake.heartbeats.length;
          if (!(await waitFor('a heartbeat', () => (fake.heartbeats.length > beats ? true : undefined), 5_000).catch(() => false))) problems.push('the node stopped heartbeating');
          if (problems.length) throw new Error(`seed ${SEED}: ${problems.join('; ')}`);
        }),
        { seed: SEED, numRuns: Math.ceil(NODE_FRAMES / BATCH), endOnFailure: true },
      );
    } finally {
      console.log(`wire fuzz (node): seed ${SEED}, ${streams} streams in ${((Date.now() - started) / 1000).toFixed(1)} s, ${channelGarbage} garbage frames on its actor channel; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
      recordFigure('wire fuzz (node daemon): fuzzed streams', streams);
      recordFigure('wire fuzz (node daemon): garbage frames on its actor channel (each reconnected)', `${channelGarbage} (${reconnects})`);
      recordFigure('wire fuzz (node daemon): daemon crashes', 0);
    }
    // Still a working node: a pod it is assigned now reaches Running.
    const pod = testPod('fuzzed', 'after-fuzz', 'Always', [{ name: 'c', script: 'sleep 3600' }]);
    await fake.assign(pod);
    await waitFor('the pod Running', () => (fake.statusOf(pod.metadata.uid)?.phase === 'Running' ? true : undefined), 15_000);
    expect(batches).toBe(Math.ceil(NODE_FRAMES / BATCH));
  }, 600_000);
});
