/**
 * Pod startup benchmark: `node --import tsx bench/pod-startup.ts [--kubeconfig PATH]`.
 *
 * The physical floor first: what 50 pods' worth of busybox containers cost on this Docker engine
 * through plain dockerode (create + start of a long-running container), then the same 50 as pods
 * through kactus' Docker runtime (sandbox + container, started) to show the runtime's overhead.
 * Each is run one at a time (median = p50) and 50 at once (wall time; per-pod latency p50/p99
 * under that load). Removal is not timed; every container carries `io.kactus.test=<run>` and is
 * removed at the end.
 *
 * Then kactus itself: `measureKactus` creates 50 Pods through the API server and times create →
 * `Running` as seen by a watch, the figure Kubernetes' pod startup SLO is stated in (p99 ≤ 5 s,
 * images present). It runs against `--kubeconfig PATH` when given, else against a `kactus up`
 * this script starts in a temp dir (and stops, removing its containers, at the end).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { DockerRuntime } from '../node-daemon/runtime/docker.ts';
import { KubeClient, type WatchEvent } from '../src/cli/client.ts';
import { readKubeconfig, resolveConnection } from '../src/cli/kubeconfig.ts';
import { BUSYBOX_IMAGE, TEST_LABEL, dockerClient, ensureBusyboxImage, removeContainersByLabel } from '../test/support/docker.ts';
import { markdownTable, measure, percentile, type Measurement } from './lib.ts';

/** Pods per run: "50 pods" in every mode. */
const PODS = 50;
/** The long-running command of every container: a started pod stays Running. */
const SLEEP = ['sh', '-c', 'exec sleep 3600'];
/** How long the kactus part waits for all pods to be Running. */
const KACTUS_DEADLINE_MS = 5 * 60_000;

/** One row: a subject in one mode. */
export interface StartupResult {
  subject: string;
  mode: 'sequential' | `${number} in parallel`;
  n: number;
  /** Wall time of the whole mode, ms. */
  wallMs: number;
  p50: number;
  p99: number;
}

function result(subject: string, concurrency: number, m: Measurement): StartupResult {
  return { subject, mode: concurrency === 1 ? 'sequential' : `${concurrency} in parallel`, n: PODS, wallMs: (PODS / m.opsPerSec) * 1000, p50: m.p50, p99: m.p99 };
}

/** Plain dockerode: create + start of one busybox container. */
async function measureDockerode(docker: Docker, labels: Record<string, string>, concurrency: number): Promise<StartupResult> {
  const m = await measure(concurrency, PODS, async () => {
    const container = await docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: SLEEP, Labels: labels, HostConfig: { NetworkMode: 'none' } });
    await container.start();
  });
  return result('dockerode create+start (floor)', concurrency, m);
}

/** kactus' Docker runtime: a pod = sandbox (started) + one container, started. */
async function measureRuntime(runtime: DockerRuntime, run: string, concurrency: number): Promise<StartupResult> {
  const m = await measure(concurrency, PODS, async (i) => {
    const { sandboxId } = await runtime.createSandbox({ uid: `${run}-${concurrency}-${i}`, namespace: 'bench', name: `pod-${concurrency}-${i}` }, { network: 'none' });
    const id = await runtime.createContainer(sandboxId, { name: 'c', image: BUSYBOX_IMAGE, command: SLEEP }, []);
    await runtime.startContainer(id);
  });
  return result('runtime sandbox+container', concurrency, m);
}

/**
 * Creates 50 Pods (all at once) through the API server of a running cluster and measures, per
 * pod, the time from sending its create to a watch reporting it `Running`. The watch (label
 * selector of this run) opens before the first create, from the list's resourceVersion, so no
 * transition is missed. Deletes the pods (grace 0) afterwards and waits for them to go.
 */
export async function measureKactus(kubeconfigPath: string, namespace = 'default'): Promise<StartupResult> {
  const client = new KubeClient(await resolveConnection(await readKubeconfig(kubeconfigPath)));
  const run = randomBytes(3).toString('hex');
  const selector = `kactus-bench=pod-startup-${run}`;
  const podsPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  const sentAt = new Map<string, number>();
  const latency = new Map<string, number>();
  const gone = new Set<string>();
  let wake: (() => void) | undefined;

  const list = await client.json<{ metadata: { resourceVersion: string } }>('GET', podsPath, { query: { labelSelector: selector } });
  const watch = client.watch(podsPath, { query: { labelSelector: selector, resourceVersion: list.metadata.resourceVersion } }, (ev: WatchEvent) => {
    const obj = ev.object as { metadata?: { name?: string }; status?: { phase?: string } };
    const name = obj.metadata?.name ?? '';
    const sent = sentAt.get(name);
    if (ev.type === 'DELETED') gone.add(name);
    else if (sent !== undefined && obj.status?.phase === 'Running' && !latency.has(name)) latency.set(name, performance.now() - sent);
    wake?.();
  });
  const until = async (what: string, done: () => boolean): Promise<void> => {
    const deadline = Date.now() + KACTUS_DEADLINE_MS;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };

  const names = Array.from({ length: PODS }, (_, i) => `bench-${run}-${i}`);
  const started = performance.now();
  try {
    await Promise.all(
      names.map(async (name) => {
        sentAt.set(name, performance.now());
        await client.json('POST', podsPath, {
          body: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, labels: { 'kactus-bench': `pod-startup-${run}` } },
            spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: BUSYBOX_IMAGE, command: SLEEP }] },
          },
        });
      }),
    );
    await until(`${PODS} pods Running`, () => latency.size === PODS);
    const wallMs = performance.now() - started;
    const sorted = [...latency.values()].sort((a, b) => a - b);
    return { subject: 'kactus API create → Running (watch)', mode: `${PODS} in parallel`, n: PODS, wallMs, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  } finally {
    await client.request('DELETE', podsPath, { query: { labelSelector: selector }, body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 } });
    await until('the bench pods to be deleted', () => names.every((n) => gone.has(n) || !sentAt.has(n))).finally(() => watch.close());
  }
}

function kubeconfigArg(argv: string[]): string | undefined {
  const at = argv.indexOf('--kubeconfig');
  if (at >= 0) return argv[at + 1];
  return argv.find((a) => a.startsWith('--kubeconfig='))?.slice('--kubeconfig='.length);
}

async function main(): Promise<void> {
  const docker = dockerClient();
  await ensureBusyboxImage(docker);
  const run = `bench-startup-${randomBytes(3).toString('hex')}`;
  const label = `${TEST_LABEL}=${run}`;
  const labels = { [TEST_LABEL]: run };
  const runtime = await DockerRuntime.connect({ node: run, docker, extraLabels: labels });
  const results: StartupResult[] = [];
  try {
    // Warm-up: the first create after idle pays for image metadata and cgroup setup.
    await measureDockerode(docker, labels, 1);
    await removeContainersByLabel(docker, label);
    for (const concurrency of [1, PODS]) {
      results.push(await measureDockerode(docker, labels, concurrency));
      await removeContainersByLabel(docker, label);
      results.push(await measureRuntime(runtime, run, concurrency));
      await removeContainersByLabel(docker, label);
    }
    const swarm = await measureSwarm(run);
    if (swarm) results.push(swarm);
    const kubeconfig = kubeconfigArg(process.argv.slice(2));
    if (kubeconfig) results.push(await measureKactus(kubeconfig));
    else results.push(await withKactusUp(docker, run, (path) => measureKactus(path)));
  } finally {
    await runtime.close();
    await removeContainersByLabel(docker, label);
  }
  printTable(results);
}

const exec = promisify(execFile);

/**
 * The peer anchor: Docker Swarm on the same engine, a 50-replica busybox service, from
 * `docker service create` until every task is Running (wall time only: Swarm reports no per-task
 * start latency). Skipped when the engine is already in a swarm (never disturb a user's swarm);
 * the swarm this creates on 127.0.0.1 is left again at the end.
 */
async function measureSwarm(run: string): Promise<StartupResult | undefined> {
  const docker = (...args: string[]) => exec('docker', args, { maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout.trim());
  if ((await docker('info', '--format', '{{.Swarm.LocalNodeState}}')) !== 'inactive') return undefined;
  const hadGwBridge = (await docker('network', 'ls', '--filter', 'name=^docker_gwbridge$', '--format', '{{.Name}}')) !== '';
  await docker('swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377');
  const name = `kactus-${run}`;
  try {
    const started = performance.now();
    await docker('service', 'create', '--detach', '--no-resolve-image', '--name', name, '--replicas', String(PODS), '--restart-condition', 'none', BUSYBOX_IMAGE, ...SLEEP);
    const deadline = Date.now() + KACTUS_DEADLINE_MS;
    for (;;) {
      const states = (await docker('service', 'ps', name, '--format', '{{.CurrentState}}')).split('\n');
      if (states.filter((st) => st.startsWith('Running')).length >= PODS) break;
      if (Date.now() > deadline) throw new Error('swarm service did not reach all-running in time');
      await new Promise((r) => setTimeout(r, 100));
    }
    const wallMs = performance.now() - started;
    return { subject: 'Docker Swarm service, 50 replicas (anchor)', mode: `${PODS} in parallel`, n: PODS, wallMs, p50: NaN, p99: NaN };
  } finally {
    await docker('service', 'rm', name).catch(() => '');
    await docker('swarm', 'leave', '--force').catch(() => '');
    // Swarm creates this bridge on init and leaves it behind: remove it if it was not there before.
    if (!hadGwBridge) await docker('network', 'rm', 'docker_gwbridge').catch(() => '');
  }
}

/**
 * Run `fn` against a fresh `kactus up` (Docker runtime, node named after the run), then stop it
 * and remove every container its node daemon left (a stopped daemon keeps containers running).
 */
async function withKactusUp<T>(docker: Docker, run: string, fn: (kubeconfigPath: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kactus-bench-up-'));
  const kactus = fileURLToPath(new URL('../bin/kactus.js', import.meta.url));
  const child = spawn(process.execPath, [kactus, 'up', '--data-dir', dir, '--port', '0', '--node-name', run, '--runtime', 'docker'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, KACTUS_LOG_LEVEL: 'warn' },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`kactus up did not become ready: ${out}`)), 60_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('kactus: ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`kactus up exited with ${code}: ${out}`)));
    });
    return await fn(join(dir, 'kubeconfig'));
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    const left = await docker.listContainers({ all: true, filters: { label: ['io.kactus.node'] } });
    await Promise.all(
      left
        .filter((c) => (c.Labels['io.kactus.node'] ?? '').startsWith(`${run}-`))
        .map((c) => docker.getContainer(c.Id).remove({ force: true })),
    );
    await rm(dir, { recursive: true, force: true });
  }
}

/** The table, each row beside the floor of its mode (dockerode at the same concurrency). */
function printTable(results: StartupResult[]): void {
  const floor = (mode: StartupResult['mode']) => results.find((r) => r.subject.endsWith('(floor)') && r.mode === mode);
  const ms = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(0));
  const rows = results.map((r) => {
    const f = floor(r.mode);
    return [r.subject, r.mode, String(r.n), ms(r.wallMs), ms(r.p50), ms(r.p99), f ? ms(f.wallMs) : '–', f ? ms(f.p50) : '–', f && !Number.isNaN(r.p50) ? `${(r.p50 / f.p50).toFixed(2)}x` : '–'];
  });
  console.log(markdownTable(['subject', 'mode', 'pods', 'wall ms', 'p50 ms', 'p99 ms', 'floor wall ms', 'floor p50 ms', 'p50 vs floor'], rows));
  console.log('\nAnchors: Docker Swarm on this engine (wall time until all 50 tasks Running); Kubernetes pod startup SLO, p99 ≤ 5000 ms (images present, create → Running seen by a watch).');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
