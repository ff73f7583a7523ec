/**
 * Replicas benchmark: `node --import tsx bench/replicas.ts
 * [--nodes 100] [--replicas 10000]`. Starts `kactus up --nodes N --runtime hollow` (the whole
 * control plane and N+1 hollow node daemons in one process, the issue's setup), applies one
 * Deployment of R replicas through the API and times apply → `readyReplicas = R` (the
 * Deployment's status, polled every 500 ms), with progress samples and the process' RSS.
 * The anchor is the figure issue 13 measured on main before this work (~33 pods/s on average for
 * 10,000 replicas on 100 hollow nodes); the goal is ≥ 500 pods/s.
 *
 * `REPLICAS_BENCH_PROF=DIR` runs the kactus process under `node --cpu-prof` (profile in DIR,
 * written when it stops); `REPLICAS_BENCH_DEADLINE_S` bounds the wait (default 900 s).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../src/cli/client.ts';
import { readKubeconfig, resolveConnection } from '../src/cli/kubeconfig.ts';
import { markdownTable, processCpuMs } from './lib.ts';

/** Issue 13's measurement on main before this work: 10,000 replicas on 100 hollow nodes. */
export const ISSUE_ANCHOR_PODS_PER_SEC = 33;
export const GOAL_PODS_PER_SEC = 500;

function flag(name: string, fallback: number): number {
  const argv = process.argv.slice(2);
  const at = argv.indexOf(`--${name}`);
  const value = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return value === undefined ? fallback : Number(value);
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}

export interface ReplicasResult {
  nodes: number;
  replicas: number;
  readyMs: number;
  ready: number;
  samples: { atS: number; ready: number; rssMb: number }[];
  maxRssMb: number;
  /** CPU the kactus process used from apply to the end (all its threads). */
  cpuMs: number;
}

/** Runs `fn` against a fresh `kactus up --nodes N --runtime hollow`, then stops it (SIGTERM, so a profile is written). */
async function withHollowCluster<T>(nodes: number, fn: (kubeconfigPath: string, pid: number) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kactus-bench-replicas-'));
  const kactus = fileURLToPath(new URL('../bin/kactus.js', import.meta.url));
  const prof = process.env.REPLICAS_BENCH_PROF;
  const nodeFlags = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
  const args = [...nodeFlags, kactus, 'up', '--data-dir', dir, '--port', '0', '--node-name', 'bench-local', '--runtime', 'hollow', '--pod-network', 'none', '--nodes', String(nodes)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KACTUS_LOG_LEVEL: 'warn' } });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`kactus up did not become ready: ${out}`)), 600_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('kactus: ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`kactus up exited with ${code}: ${out}`)));
    });
    return await fn(join(dir, 'kubeconfig'), child.pid as number);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

export async function measureReplicas(nodes: number, replicas: number): Promise<ReplicasResult> {
  const deadlineMs = flag('deadline', Number(process.env.REPLICAS_BENCH_DEADLINE_S ?? 900)) * 1000;
  return withHollowCluster(nodes, async (kubeconfigPath, pid) => {
    const client = new KubeClient(await resolveConnection(await readKubeconfig(kubeconfigPath)));
    const nodeList = async () => (await client.json<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>('GET', '/api/v1/nodes')).items;
    // Every hollow node Ready first: the figure is about pods, not joins.
    const joinDeadline = Date.now() + 600_000;
    while ((await nodeList()).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length < nodes + 1) {
      if (Date.now() > joinDeadline) throw new Error('the hollow nodes did not all become Ready');
      await new Promise((r) => setTimeout(r, 500));
    }
    const path = '/apis/apps/v1/namespaces/default/deployments';
    const labels = { app: 'bench-replicas' };
    const started = performance.now();
    const cpuAtApply = processCpuMs(pid);
    await client.json('POST', path, {
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'bench-replicas' },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox:latest', command: ['sleep', '3600'] }] } },
        },
      },
    });
    const samples: ReplicasResult['samples'] = [];
    let ready = 0;
    let maxRssMb = 0;
    while (ready < replicas) {
      if (performance.now() - started > deadlineMs) break;
      await new Promise((r) => setTimeout(r, 500));
      const d = await client.json<{ status?: { readyReplicas?: number } }>('GET', `${path}/bench-replicas`).catch(() => undefined);
      ready = d?.status?.readyReplicas ?? ready;
      const rss = await rssMb(pid);
      maxRssMb = Math.max(maxRssMb, rss);
      const atS = (performance.now() - started) / 1000;
      if (samples.length === 0 || atS - (samples.at(-1)?.atS ?? 0) >= 10 || ready >= replicas) samples.push({ atS, ready, rssMb: rss });
      process.stderr.write(`\r${atS.toFixed(0)} s: ${ready}/${replicas} ready, RSS ${rss.toFixed(0)} MB   `);
    }
    process.stderr.write('\n');
    return { nodes, replicas, readyMs: performance.now() - started, ready, samples, maxRssMb, cpuMs: processCpuMs(pid) - cpuAtApply };
  });
}

async function main(): Promise<void> {
  const nodes = flag('nodes', 100);
  const replicas = flag('replicas', 10_000);
  // Each hollow node (and the local one) takes 110 pods, as a kubelet's default maxPods.
  if (replicas > (nodes + 1) * 110) console.error(`warning: ${replicas} replicas do not fit on ${nodes + 1} nodes of 110 pods; at most ${(nodes + 1) * 110} become ready`);
  const r = await measureReplicas(nodes, replicas);
  const podsPerSec = (r.ready / r.readyMs) * 1000;
  console.log(
    markdownTable(
      ['subject', 'hollow nodes', 'replicas', 'ready', 'apply → all ready s', 'pods/s', 'anchor pods/s (issue 13, main before)', 'vs anchor', 'goal pods/s', 'kactus CPU s', 'CPU ms per ready pod', 'max RSS MB'],
      [[
        'kactus up, one Deployment',
        String(r.nodes),
        String(r.replicas),
        String(r.ready),
        r.ready >= r.replicas ? (r.readyMs / 1000).toFixed(1) : `> ${(r.readyMs / 1000).toFixed(0)} (deadline)`,
        podsPerSec.toFixed(0),
        String(ISSUE_ANCHOR_PODS_PER_SEC),
        `${(podsPerSec / ISSUE_ANCHOR_PODS_PER_SEC).toFixed(2)}x`,
        String(GOAL_PODS_PER_SEC),
        (r.cpuMs / 1000).toFixed(1),
        (r.cpuMs / Math.max(1, r.ready)).toFixed(2),
        r.maxRssMb.toFixed(0),
      ]],
    ),
  );
  console.log('\nThe CPU column is what the kactus process (control plane and every hollow node) spent from apply to the end: on a busy machine the wall time says how much CPU it got, the CPU per pod what the work costs.');
  console.log('\nProgress (s after apply: ready, RSS MB): ' + r.samples.map((s) => `${s.atS.toFixed(0)}: ${s.ready}, ${s.rssMb.toFixed(0)}`).join(' · '));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
