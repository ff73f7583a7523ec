/**
 * Three machines, three commands (README "High availability"), on one machine: three `kactus
 * master` processes, each with its own etcd member (advertise addresses 127.0.0.1-3, distinct
 * ports), the first with `--cluster-init`, the others with the `--server … --token …` line the
 * first prints. They form one 3-member etcd cluster (peer traffic over TLS); a write through one
 * master is read through another (a Secret too: the joiners got the encryption keys); `kill -9`
 * of a master takes its etcd member with it (its pid is gone) and the other two keep serving
 * writes; the same command restarts it on its data and it catches up. An etcd killed alone is
 * restarted by its master. A wrong token, or a token
 * of another cluster, is refused with a clear message and adds no member. No etcd is left.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdTestsEnabled } from '../support/etcd.ts';
import { currentEtcdPid, freeLoopbackPorts, KACTUS_BIN, masterWithEtcdArgs, processRunning, startMasterWithEtcd, type MasterWithEtcd } from '../support/master-etcd.ts';
import { KactusProcess } from '../support/kactus-cli.ts';
import { eventually, kubectlFor, ok, run } from './harness.ts';

const enabled = etcdTestsEnabled();
let dir: string;
const masters: (MasterWithEtcd | undefined)[] = [];
/** Every etcd pid any master reported, checked gone at the end. */
const etcdPids = new Set<number>();
let ports: number[];

const clientPort = (i: number): number => ports[2 * i]!;
const peerPort = (i: number): number => ports[2 * i + 1]!;
const advertise = (i: number): string => `127.0.0.${i + 1}`;

async function start(args: string[]): Promise<MasterWithEtcd> {
  const m = await startMasterWithEtcd(args);
  etcdPids.add(m.etcdPid);
  return m;
}

/** The members etcd lists, by name, asked through member `i`'s client port. */
async function memberNames(i: number): Promise<string[]> {
  const client = new Etcd3({ hosts: [`127.0.0.1:${clientPort(i)}`] });
  try {
    const res = await client.cluster.memberList({});
    return res.members.map((m) => m.name).sort();
  } finally {
    client.close();
  }
}

function runKactus(args: string[]): KactusProcess {
  return new KactusProcess(spawn(process.execPath, [KACTUS_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe.skipIf(!enabled)('kactus master with its own etcd member: an HA cluster from three commands', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-ha-'));
    ports = await freeLoopbackPorts(8);
  });

  afterAll(async () => {
    for (const m of masters) await m?.proc.stop('SIGKILL');
    // Killed with their masters: the parent-death signal, no orphan etcd.
    await eventually('every etcd process gone', async () => [...etcdPids].filter(processRunning), (left) => left.length === 0, 10_000);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('the first master starts a cluster; two more join (with its token, and with one from `token create --master`): one 3-member etcd cluster', async () => {
    masters[0] = await start(masterWithEtcdArgs({ init: true, advertise: advertise(0), dataDir: join(dir, 'a'), name: 'ha-a', clientPort: clientPort(0), peerPort: peerPort(0) }));
    expect(masters[0].started).toBe('initialized');
    const token = masters[0].joinToken!;
    expect(token).toMatch(/^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(masters[0].url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await readFile(join(dir, 'a', 'master-join-token'), 'utf8')).toBe(`${token}\n`);
    masters[1] = await start(masterWithEtcdArgs({ server: masters[0].url, token, advertise: advertise(1), dataDir: join(dir, 'm1'), name: 'ha-b', clientPort: clientPort(1), peerPort: peerPort(1) }));
    // The third joins through the second, with a token made there by `kactus token create --master`.
    const created = ok(await run(process.execPath, [KACTUS_BIN, '--kubeconfig', masters[1].kubeconfig, 'token', 'create', '--master', '--ttl', '600'])).trim().split('\n');
    expect(created[0]).toMatch(new RegExp(`^${token.slice(0, 67)}::[a-z0-9]{6}\\.[a-z0-9]{16}$`));
    expect(created[1]).toBe(`kactus master --data-dir DIR --server ${masters[1].url} --token ${created[0]} --advertise-address IP`);
    masters[2] = await start(masterWithEtcdArgs({ server: masters[1].url, token: created[0]!, advertise: advertise(2), dataDir: join(dir, 'm2'), name: 'ha-c', clientPort: clientPort(2), peerPort: peerPort(2) }));
    for (const i of [1, 2]) {
      expect(masters[i]!.started).toBe('joined');
      expect(masters[i]!.url.startsWith(`https://${advertise(i)}:`)).toBe(true);
    }
    const listed = ok(await run(process.execPath, [KACTUS_BIN, '--kubeconfig', masters[2].kubeconfig, 'token', 'list']));
    expect(listed).toMatch(new RegExp(`${token.slice(69, 75)}\\s+<forever>\\s+<never>\\s+kactus-master-join`));
    expect(await memberNames(0)).toEqual(['ha-a', 'ha-b', 'ha-c']);
    expect(await memberNames(2)).toEqual(['ha-a', 'ha-b', 'ha-c']);
  }, 90_000);

  it('a write through one master is read through another, Secrets included', async () => {
    const [a, b, c] = masters.map((m) => kubectlFor(m!.kubeconfig, dir));
    ok(await a!(['create', 'configmap', 'from-a', '--from-literal=k=v']));
    expect(ok(await c!(['get', 'configmap', 'from-a', '-o', 'jsonpath={.data.k}']))).toBe('v');
    ok(await b!(['create', 'secret', 'generic', 'from-b', '--from-literal=password=s3cret']));
    expect(Buffer.from(ok(await a!(['get', 'secret', 'from-b', '-o', 'jsonpath={.data.password}'])), 'base64').toString()).toBe('s3cret');
  });

  it('kill -9 of a master takes its etcd member with it; the other two keep serving writes; the same command brings it back, caught up', async () => {
    const victim = masters[1]!;
    await victim.proc.stop('SIGKILL');
    await eventually('its etcd gone with it', async () => processRunning(victim.etcdPid), (running) => !running, 5_000);
    const [a, c] = [masters[0]!, masters[2]!].map((m) => kubectlFor(m.kubeconfig, dir));
    for (let n = 0; n < 5; n++) {
      const kubectl = n % 2 === 0 ? a! : c!;
      // The first write may wait out an etcd election if the victim's member led.
      await eventually(`write ${n} while one master is down`, async () => (await kubectl(['create', 'configmap', `while-down-${n}`, '--from-literal=n=' + n])).code, (code) => code === 0, 15_000);
    }
    masters[1] = await start(victim.args);
    expect(masters[1].started).toBe('restarted');
    expect(masters[1].etcdPid).not.toBe(victim.etcdPid);
    const b = kubectlFor(masters[1].kubeconfig, dir);
    const names = ok(await b(['get', 'configmaps', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ');
    for (let n = 0; n < 5; n++) expect(names).toContain(`while-down-${n}`);
    expect(await memberNames(1)).toEqual(['ha-a', 'ha-b', 'ha-c']);
  }, 60_000);

  it('kill -9 of an etcd member alone: its master restarts it and serves on', async () => {
    const m = masters[0]!;
    const old = currentEtcdPid(m);
    process.kill(old, 'SIGKILL');
    await m.proc.until('etcd restarted', (p) => p.lines.some((l) => /^kactus: etcd member exited \(signal SIGKILL\); restarted it \(pid \d+\)/.test(l)), 10_000);
    const now = currentEtcdPid(m);
    etcdPids.add(now);
    expect(now).not.toBe(old);
    expect(processRunning(now)).toBe(true);
    const kubectl = kubectlFor(m.kubeconfig, dir);
    await eventually('a write through that master', async () => (await kubectl(['create', 'configmap', 'after-etcd-restart'])).code, (code) => code === 0, 15_000);
    expect(m.proc.exitCode).toBeUndefined();
  }, 30_000);

  it('refuses a wrong token and a token of another cluster, clearly, and adds no member', async () => {
    const token = masters[0]!.joinToken!;
    const wrongSecret = token.replace(/\.[a-z0-9]{16}$/, '.0123456789abcdef');
    const otherCluster = `K10${'0'.repeat(64)}${token.slice(3 + 64)}`;
    for (const [bad, message] of [
      [wrongSecret, /refused this master: master join refused: invalid token/],
      [otherCluster, /is not the cluster this token belongs to/],
    ] as const) {
      const args = masterWithEtcdArgs({ server: masters[0]!.url, token: bad, advertise: '127.0.0.4', dataDir: join(dir, 'intruder'), name: 'ha-x', ...(await freeLoopbackPorts(2).then(([c, p]) => ({ clientPort: c!, peerPort: p! }))) });
      const proc = runKactus(args);
      expect(await proc.exited).toBe(1);
      expect(proc.stderr).toMatch(message);
      expect(proc.stdout).not.toMatch(/etcd member ha-x/);
    }
    expect(await memberNames(0)).toEqual(['ha-a', 'ha-b', 'ha-c']);
  }, 30_000);

  it('a second master on a running master\'s data dir is refused (it would take the first one\'s etcd for its own)', async () => {
    const twin = runKactus(masters[0]!.args);
    expect(await twin.exited).toBe(1);
    expect(twin.stderr).toMatch(new RegExp(`data dir \\S+ is in use by pid ${masters[0]!.proc.child.pid}`));
    expect(masters[0]!.proc.exitCode).toBeUndefined();
  }, 30_000);

  it('SIGTERM stops a master and then its etcd member, exit 0', async () => {
    const m = masters[2]!;
    expect(await m.proc.stop('SIGTERM')).toBe(0);
    expect(m.proc.lines).toContain('kactus: stopped');
    expect(m.proc.lines.some((l) => l.startsWith('kactus: etcd member stopped'))).toBe(true);
    expect(processRunning(m.etcdPid)).toBe(false);
  }, 30_000);

  it('a data dir holding a member of another cluster is a clear error, before anything starts', async () => {
    const stopped = masters[2]!;
    const otherCluster = masters[0]!.joinToken!.replace(/^K10[0-9a-f]{64}/, `K10${'1'.repeat(64)}`);
    const args = stopped.args.map((a) => (a.startsWith('K10') ? otherCluster : a));
    const proc = runKactus(args);
    expect(await proc.exited).toBe(1);
    expect(proc.stderr).toMatch(/holds etcd member "ha-c" of another cluster/);
    expect(proc.stdout).not.toMatch(/kactus: etcd member/);
  }, 30_000);
});
