/**
 * The fence watchdog from a user's seat (issue 14): `kactus master` with the default node-lifecycle
 * flags (the masters fail a lost node's pods 4 s + 3 s after its Lease was last renewed) and
 * `kactus node` daemons on loopback. A node daemon's pods outlive it by design (a restart re-adopts
 * them), so when the daemon is killed or frozen only its watchdog — a process of its own — can stop
 * them before the masters fail them and a controller starts a replacement elsewhere.
 *
 * - kill -9 of the daemon (process runtime): the pod's processes are gone before the masters' fail
 *   time (the Lease's last renewTime + 7 s; printed), the pod is then Failed, the watchdog leaves.
 * - SIGSTOP past the deadline: the processes are gone; SIGCONT: the daemon carries on (Ready, its
 *   pod replaced) and feeds the same watchdog.
 * - kill -9 and restart at once (Docker, whose containers outlive the daemon): the new daemon
 *   renews before the deadline, the container keeps running with the same pid.
 * No watchdog is left running afterwards (checked by PID).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, readFenceRecord, readWatchdogInfo, watchdogLogPath, type ProcessIdentity } from '../../node-daemon/fence/files.ts';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp } from '../support/docker.ts';
import { background, eventually, kactusBin, kubectlFor, ok, run, startKactusServer, uniqueName, type Background, type KactusServer, type Kubectl } from './harness.ts';
import { podProcesses } from './heal-cluster.ts';
import { nodeContainers, removeNodeLeftovers } from './node-containers.ts';

/** node-monitor-grace-period + pod-eviction-timeout, the defaults. */
const FAIL_AFTER_MS = 7000;

const docker = dockerClient();
const withDocker = dockerRequired() || (await isDockerUp(docker));

let dir: string;
let master: KactusServer | undefined;
let kubectl: Kubectl;
let joinArgs: string[];
const daemons: Background[] = [];
const watchdogs: ProcessIdentity[] = [];
const dockerNodes: string[] = [];

async function startNode(name: string, dataDir: string, runtime: 'process' | 'docker'): Promise<Background> {
  const extra = runtime === 'docker' ? ['--pod-network', 'none'] : [];
  const proc = background(process.execPath, [kactusBin, 'node', '--data-dir', dataDir, ...joinArgs, '--name', name, '--runtime', runtime, ...extra]);
  daemons.push(proc);
  await proc.waitFor(new RegExp(`kactus: node ${name} joined`), 30_000);
  const info = readWatchdogInfo(dataDir);
  if (info) watchdogs.push(info);
  return proc;
}

const pinned = (name: string, node: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      nodeSelector: {kubernetes.io/hostname: ${node}}
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

async function ready(node: string): Promise<void> {
  await eventually(`${node} Ready`, async () => (await kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout, (s) => s === 'True', 30_000);
}

/** The pod of `app` Running (not being deleted) on `node`: its uid. */
async function runningPod(app: string, node: string): Promise<string> {
  const line = await eventually(
    `${app} Running on ${node}`,
    async () => ok(await kubectl(['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.metadata.uid} {.spec.nodeName} {.status.phase} {.metadata.deletionTimestamp}{"\\n"}{end}'])),
    (out) => out.split('\n').some((l) => /^\S+ \S+ Running $/.test(l) && l.split(' ')[1] === node),
    60_000,
  );
  return line.split('\n').find((l) => /^\S+ \S+ Running $/.test(l) && l.split(' ')[1] === node)!.split(' ')[0]!;
}

async function podPhase(uid: string): Promise<string> {
  const out = ok(await kubectl(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.uid} {.status.phase}{"\\n"}{end}']));
  return out.split('\n').find((l) => l.startsWith(`${uid} `))?.split(' ')[1] ?? 'gone';
}

/** The node's Lease's last renewal, on the wall clock (ms). */
async function leaseRenewedAt(node: string): Promise<number> {
  return Date.parse(ok(await kubectl(['get', 'lease', '-n', 'kube-node-lease', node, '-o', 'jsonpath={.spec.renewTime}'])));
}

async function until<T>(what: string, probe: () => Promise<T>, accept: (v: T) => boolean, timeoutMs: number, periodMs = 25): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (accept(v)) return v;
    if (performance.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, periodMs));
  }
}

describe('the fence watchdog: a node\'s pods are stopped at its fence deadline even when its daemon is dead or frozen', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-fence-e2e-'));
    master = await startKactusServer(['master', '--data-dir', join(dir, 'master'), '--store', `embedded://${join(dir, 'master', 'store')}`, '--port', '0', '--name', 'fence-master']);
    kubectl = kubectlFor(master.kubeconfig, dir);
    const joinLine = ok(await run(process.execPath, [kactusBin, 'token', 'create', '--kubeconfig', master.kubeconfig])).trim().split('\n')[1]!;
    joinArgs = ['--join', /--join (\S+)/.exec(joinLine)![1]!, '--token', /--token (\S+)/.exec(joinLine)![1]!];
  }, 60_000);

  afterAll(async () => {
    for (const d of daemons) {
      d.child.kill('SIGCONT');
      await d.kill('SIGTERM');
    }
    await master?.proc.kill('SIGTERM');
    for (const n of dockerNodes) await removeNodeLeftovers(docker, n);
    // A watchdog outlives its daemon only until it has fenced: none may be left.
    const left = await until('every watchdog gone', async () => watchdogs.filter(isAlive), (l) => l.length === 0, 15_000).catch(() => watchdogs.filter(isAlive));
    for (const w of left) process.kill(w.pid, 'SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
    expect(left.map((w) => w.pid)).toEqual([]);
  }, 60_000);

  it('kill -9 of `kactus node` (process runtime): the pod\'s processes are gone before the masters fail it; the watchdog then leaves', async () => {
    const node = uniqueName('fence-k-');
    const dataDir = join(dir, node);
    const daemon = await startNode(node, dataDir, 'process');
    await ready(node);
    ok(await kubectl(['apply', '-f', '-'], pinned('killed', node)));
    const uid = await runningPod('killed', node);
    await until('its process', () => podProcesses([{ name: node, dataDir }]), (ps) => ps.length > 0, 20_000);
    const watchdog = readWatchdogInfo(dataDir)!;
    expect(isAlive(watchdog)).toBe(true);

    await daemon.kill('SIGKILL');
    const killedAt = Date.now();
    const renewedAt = await leaseRenewedAt(node);
    await until('the pod\'s processes gone', () => podProcesses([{ name: node, dataDir }]), (ps) => ps.length === 0, 15_000);
    const goneAt = Date.now();
    const failAt = renewedAt + FAIL_AFTER_MS;
    await until('the pod Failed', () => podPhase(uid), (p) => p === 'Failed' || p === 'gone', 30_000, 100);
    const failedAt = Date.now();
    console.log(
      `fence watchdog, kill -9: last Lease renewal ${((killedAt - renewedAt) / 1000).toFixed(2)} s before the kill; pod processes gone ${((goneAt - renewedAt) / 1000).toFixed(2)} s after it ` +
        `(masters fail at ${FAIL_AFTER_MS / 1000} s: ${((failAt - goneAt) / 1000).toFixed(2)} s to spare); pod Failed in the API ${((failedAt - renewedAt) / 1000).toFixed(2)} s after it`,
    );
    expect(goneAt).toBeLessThan(failAt);
    expect(goneAt).toBeLessThan(failedAt);
    // The watchdog did it (nothing else runs for a dead daemon), and logged it.
    expect(await readFile(watchdogLogPath(dataDir), 'utf8')).toMatch(/fence: 1 running container\(s\) stopped/);
    // Its daemon is gone and nothing is left to guard: the watchdog leaves by itself.
    await until('the watchdog gone', async () => isAlive(watchdog), (alive) => !alive, 10_000);
  }, 90_000);

  it('SIGSTOP of the daemon past its deadline: the pod\'s processes are gone; SIGCONT: the daemon carries on with the same watchdog', async () => {
    const node = uniqueName('fence-s-');
    const dataDir = join(dir, node);
    const daemon = await startNode(node, dataDir, 'process');
    await ready(node);
    ok(await kubectl(['apply', '-f', '-'], pinned('frozen', node)));
    const uid = await runningPod('frozen', node);
    await until('its process', () => podProcesses([{ name: node, dataDir }]), (ps) => ps.length > 0, 20_000);
    const watchdog = readWatchdogInfo(dataDir)!;

    expect(daemon.child.kill('SIGSTOP')).toBe(true);
    const renewedAt = await leaseRenewedAt(node);
    await until('the pod\'s processes gone', () => podProcesses([{ name: node, dataDir }]), (ps) => ps.length === 0, 15_000);
    const goneAt = Date.now();
    console.log(`fence watchdog, SIGSTOP: pod processes gone ${((goneAt - renewedAt) / 1000).toFixed(2)} s after the last Lease renewal (masters fail at ${FAIL_AFTER_MS / 1000} s)`);
    expect(goneAt).toBeLessThan(renewedAt + FAIL_AFTER_MS);
    // The daemon is frozen, not gone: the watchdog waits for it.
    await until('the pod Failed', () => podPhase(uid), (p) => p === 'Failed' || p === 'gone', 30_000, 100);
    expect(isAlive(watchdog)).toBe(true);

    expect(daemon.child.kill('SIGCONT')).toBe(true);
    await ready(node);
    await runningPod('frozen', node);
    await until('a fresh deadline from the resumed daemon', async () => readFenceRecord(dataDir), (r) => r !== undefined && 'deadlineNs' in r && r.deadlineNs !== null && BigInt(r.deadlineNs) > process.hrtime.bigint(), 10_000);
    expect(readWatchdogInfo(dataDir)?.pid).toBe(watchdog.pid);
    expect(isAlive(watchdog)).toBe(true);
    ok(await kubectl(['delete', 'deployment', 'frozen']));
  }, 120_000);

  it.skipIf(!withDocker)('kill -9 and an immediate restart (docker): the container keeps running, same pid; the watchdog did nothing', async () => {
    await ensureBusyboxImage(docker);
    const node = uniqueName('fence-d-');
    dockerNodes.push(node);
    const dataDir = join(dir, node);
    const daemon = await startNode(node, dataDir, 'docker');
    await ready(node);
    ok(await kubectl(['apply', '-f', '-'], pinned('restarted', node)));
    const uid = await runningPod('restarted', node);
    const running = async () => {
      const cs = (await nodeContainers(docker, node)).filter((c) => c.role === 'container' && c.state === 'running');
      return Promise.all(cs.map(async (c) => ({ id: c.id, pid: (await docker.getContainer(c.id).inspect()).State.Pid })));
    };
    const before = await until('its container running', running, (cs) => cs.length === 1, 20_000);
    const watchdog = readWatchdogInfo(dataDir)!;

    await daemon.kill('SIGKILL');
    const killedAt = performance.now();
    // The deadline the killed daemon left (it renews every second; read after its death, it is final).
    const old = readFenceRecord(dataDir);
    const oldDeadline = old !== undefined && 'deadlineNs' in old && old.deadlineNs !== null ? BigInt(old.deadlineNs) : 0n;
    await startNode(node, dataDir, 'docker');
    console.log(`fence watchdog, kill -9 and restart: the new daemon joined ${((performance.now() - killedAt) / 1000).toFixed(2)} s after the kill`);
    await ready(node);
    await until('a deadline from the new daemon', async () => readFenceRecord(dataDir), (r) => r !== undefined && 'deadlineNs' in r && r.deadlineNs !== null && BigInt(r.deadlineNs) > process.hrtime.bigint(), 10_000);
    const renewedAt = process.hrtime.bigint();
    // Past the old deadline and then some.
    await new Promise((r) => setTimeout(r, 5000));
    const marginNs = 500_000_000n;
    if (renewedAt + marginNs < oldDeadline) {
      // Renewed in time (the usual case, ~1.3 s after the kill): the watchdog did nothing.
      expect(await running()).toEqual(before);
      expect(await podPhase(uid)).toBe('Running');
      expect(readWatchdogInfo(dataDir)?.pid).toBe(watchdog.pid);
    } else if (renewedAt > oldDeadline + marginNs) {
      // A machine too loaded to restart the daemon within the fence period: then the rule is the
      // other one — the old container was stopped at the deadline, never kept past it.
      console.log('fence watchdog: the new daemon renewed after the old deadline; checking the fence instead');
      expect((await running()).some((c) => c.id === before[0]!.id && c.pid === before[0]!.pid)).toBe(false);
    } else {
      console.log('fence watchdog: the new daemon renewed within 0.5 s of the old deadline; either outcome is right');
    }
    ok(await kubectl(['delete', 'deployment', 'restarted']));
  }, 120_000);
});
