/**
 * A node daemon between two masters, from a user's seat: two `kactus master` processes over one
 * real etcd, a `kactus node` (process runtime) joined with the line `kactus token create` prints
 * (it names every master). `kill -9` of the master the node is connected to: the node is on the
 * other master within about a second, its pod keeps running (the same process, Running in the
 * API), and a pod assigned to it meanwhile starts; the node stays Ready.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdTestsEnabled, startEtcdCluster, type EtcdCluster } from '../support/etcd.ts';
import { background, eventually, kactusBin, kubectlFor, ok, run, startKactusMaster, uniqueName, type Background, type KactusServer } from './harness.ts';
import { podProcesses } from './heal-cluster.ts';

const enabled = etcdTestsEnabled();
const nodeName = uniqueName('mf-');
let dir: string;
let etcd: EtcdCluster | undefined;
const masters: KactusServer[] = [];
let node: Background | undefined;

const pinned = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: ${nodeName}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

/** The peer id a master's mesh line names. */
function peerOf(master: KactusServer): string {
  return /kactus: mesh listening on \S*\/p2p\/(\w+)/.exec(master.proc.text)![1]!;
}

describe.skipIf(!enabled)('a node daemon fails over between masters', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-mf-'));
    etcd = await startEtcdCluster({ members: 1 });
    masters.push(await startKactusMaster(join(dir, 'a'), etcd.uri, 'mf-a'));
    masters.push(await startKactusMaster(join(dir, 'b'), etcd.uri, 'mf-b'));
    const joinLine = ok(await run(process.execPath, [kactusBin, 'token', 'create', '--kubeconfig', masters[0]!.kubeconfig])).trim().split('\n')[1]!;
    const joinAddrs = /--join (\S+)/.exec(joinLine)![1]!;
    expect(joinAddrs.split(',')).toHaveLength(2);
    const token = /--token (\S+)/.exec(joinLine)![1]!;
    node = background(process.execPath, [kactusBin, 'node', '--data-dir', join(dir, 'node'), '--join', joinAddrs, '--token', token, '--name', nodeName, '--runtime', 'process']);
    await node.waitFor(new RegExp(`kactus: node ${nodeName} joined`), 30_000);
  }, 120_000);

  afterAll(async () => {
    await node?.kill('SIGTERM');
    for (const m of masters) await m.proc.kill('SIGKILL');
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('moves to the other master within about a second of a kill -9; its pod keeps running and a new one starts', async () => {
    const [first] = await node!.waitFor(new RegExp(`kactus: node ${nodeName}: connected to master \\S+/p2p/(\\w+)`));
    const connectedPeer = /\/p2p\/(\w+)$/.exec(first.trim())![1]!;
    const victim = masters.find((m) => peerOf(m) === connectedPeer)!;
    const survivor = masters.find((m) => m !== victim)!;
    expect(victim).toBeDefined();
    const kubectl = kubectlFor(survivor.kubeconfig, dir);
    ok(await kubectl(['apply', '-f', '-'], pinned('kept')));
    await eventually('kept Running', async () => (await kubectl(['get', 'pod', 'kept', '-o', 'jsonpath={.status.phase}'])).stdout, (p) => p === 'Running', 30_000);
    const processes = async () => (await podProcesses([{ name: nodeName, dataDir: join(dir, 'node') }])).filter((p) => p.pod === 'kept').map((p) => p.pid).sort();
    const before = await processes();
    expect(before.length).toBeGreaterThan(0);

    const killedAt = performance.now();
    await victim.proc.kill('SIGKILL');
    await node!.waitFor(new RegExp(`kactus: node ${nodeName}: connected to master \\S+/p2p/${peerOf(survivor)}`), 10_000);
    const failoverMs = performance.now() - killedAt;
    console.log(`node failover after kill -9 of its master: on the other master ${failoverMs.toFixed(0)} ms later`);
    expect(failoverMs).toBeLessThan(2000);

    // Assigned while (or right after) its master died: it starts through the other one.
    ok(await kubectl(['apply', '-f', '-'], pinned('fresh')));
    await eventually('fresh Running', async () => (await kubectl(['get', 'pod', 'fresh', '-o', 'jsonpath={.status.phase}'])).stdout, (p) => p === 'Running', 30_000);
    expect(ok(await kubectl(['get', 'pod', 'kept', '-o', 'jsonpath={.status.phase}']))).toBe('Running');
    expect(await processes()).toEqual(before);
    // Its heartbeats go through the surviving master: Ready, not fenced, not failed.
    await eventually('the node Ready', async () => (await kubectl(['get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout, (s) => s === 'True', 30_000);
    expect(node!.text).not.toContain('self-fencing');
  }, 90_000);
});
