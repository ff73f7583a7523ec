/**
 * The README's three HA commands on three hosts: each `kactus master` with its etcd member in a
 * network namespace of its own (test/support/netns.ts), the default ports (API 6443, etcd 2379 and
 * 2380: every host has its own stack), advertise addresses on a bridge — so etcd's peer TLS is
 * checked with real source addresses, not loopback. The cluster forms, a write through one host is
 * read through another, kill -9 of one host's master leaves the other two serving, and the same
 * command on that host brings it back with what was written meanwhile.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdTestsEnabled } from '../support/etcd.ts';
import { masterWithEtcdArgs, processRunning, startMasterWithEtcd, type MasterWithEtcd } from '../support/master-etcd.ts';
import { canMakeNetns, makeTestNetwork, type TestNetwork } from '../support/netns.ts';
import { eventually, kubectlFor, ok } from './harness.ts';

const enabled = etcdTestsEnabled() && (await canMakeNetns());
if (!enabled && process.env['CI'] === 'true') throw new Error('CI=true: the HA-in-namespaces test needs root and iproute2');

let dir: string;
let net: TestNetwork | undefined;
const masters: (MasterWithEtcd | undefined)[] = [];
const etcdPids = new Set<number>();

describe.skipIf(!enabled)('three masters with their etcd members on three hosts (network namespaces)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-ha-netns-'));
    net = await makeTestNetwork(3);
  });

  afterAll(async () => {
    for (const m of masters) await m?.proc.stop('SIGKILL');
    await eventually('every etcd process gone', async () => [...etcdPids].filter(processRunning), (left) => left.length === 0, 10_000);
    await net?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('forms one cluster from three commands, serves through any host, and survives kill -9 of one', async () => {
    const hosts = net!.hosts;
    const start = async (i: number, args: string[]): Promise<MasterWithEtcd> => {
      const m = await startMasterWithEtcd(args, { netns: hosts[i]!.netns });
      etcdPids.add(m.etcdPid);
      return (masters[i] = m);
    };
    const first = await start(0, masterWithEtcdArgs({ init: true, advertise: hosts[0]!.ip, dataDir: join(dir, 'h0'), name: 'h0', port: 6443 }));
    expect(first.url).toBe(`https://${hosts[0]!.ip}:6443`);
    for (const i of [1, 2]) {
      const m = await start(i, masterWithEtcdArgs({ server: first.url, token: first.joinToken!, advertise: hosts[i]!.ip, dataDir: join(dir, `h${i}`), name: `h${i}`, port: 6443 }));
      expect(m.started).toBe('joined');
    }
    const kubectl = masters.map((m) => kubectlFor(m!.kubeconfig, dir));
    ok(await kubectl[2]!(['create', 'configmap', 'from-h2', '--from-literal=k=v']));
    expect(ok(await kubectl[0]!(['get', 'configmap', 'from-h2', '-o', 'jsonpath={.data.k}']))).toBe('v');

    const victim = masters[0]!;
    await victim.proc.stop('SIGKILL');
    await eventually('its etcd gone with it', async () => processRunning(victim.etcdPid), (running) => !running, 5_000);
    await eventually('a write through h1 with h0 down', async () => (await kubectl[1]!(['create', 'configmap', 'while-h0-down'])).code, (code) => code === 0, 15_000);
    const back = await start(0, victim.args);
    expect(back.started).toBe('restarted');
    expect(ok(await kubectlFor(back.kubeconfig, dir)(['get', 'configmap', 'while-h0-down', '-o', 'name']))).toBe('configmap/while-h0-down\n');
  }, 90_000);
});
