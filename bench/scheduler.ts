/**
 * Scheduler benchmark: `node --import tsx bench/scheduler.ts
 * [--nodes 5000] [--pods 50000]`. The shape of kube-scheduler's scheduler_perf
 * `SchedulingBasic/5000Nodes_50000Pods`: N Ready nodes and P pending pods (no requests beyond
 * the defaults, no affinity) created through the Registry (what the API server's handlers call:
 * defaults, validation, admission, the store) on the embedded store in a temp dir as `kactus up`
 * opens it; then the scheduler starts, and the time from its caches being filled to the last pod
 * bound (`pods/binding`, one `Scheduled` Event each) gives pods/s. A second row creates the pods
 * while the scheduler runs (64 creates in flight), as scheduler_perf does, and times first create
 * → last bind.
 *
 * The anchor is kube-scheduler's published scheduler_perf CI threshold for that shape (~810
 * pods/s, a published figure, not measured here); the goal is ≥ 2,000 pods/s.
 * `SCHEDULER_BENCH_PROF=DIR` writes a CPU profile of each scheduling phase (node:inspector) to DIR.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYSTEM_NAMESPACES } from '../src/api/namespaces.ts';
import { findKind, type ResourceInfo } from '../src/api/kinds.ts';
import type { KubeObject } from '../src/api/object.ts';
import { EventRecorder } from '../src/registry/event-recorder.ts';
import { Registry } from '../src/registry/registry.ts';
import { Scheduler } from '../src/scheduler/scheduler.ts';
import { openEmbeddedStore } from '../src/store/embedded/index.ts';
import { markdownTable, measure } from './lib.ts';

/** kube-scheduler's scheduler_perf threshold for SchedulingBasic 5000Nodes_50000Pods (published, not measured here). */
export const KUBE_SCHEDULER_PERF_FLOOR_PODS_PER_SEC = 810;
export const GOAL_PODS_PER_SEC = 2000;

const PODS = findKind('v1', 'Pod') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;
const NS = 'default';

function flag(name: string, fallback: number): number {
  const argv = process.argv.slice(2);
  const at = argv.indexOf(`--${name}`);
  const value = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return value === undefined ? fallback : Number(value);
}

function benchNode(i: number): KubeObject {
  const resources = { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `bench-node-${i}`, labels: { 'kubernetes.io/hostname': `bench-node-${i}` } },
    spec: {},
    status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
  };
}

function benchPod(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

interface Row {
  subject: string;
  nodes: number;
  pods: number;
  seconds: number;
  decisions: number;
  nodesPerDecision: number;
}

async function run(nodes: number, pods: number, mode: 'created first' | 'created while scheduling'): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), 'kactus-bench-scheduler-'));
  const store = await openEmbeddedStore(join(dir, 'store'));
  const registry = new Registry({ store });
  await registry.start(SYSTEM_NAMESPACES);
  const events = new EventRecorder({ registry, source: { component: 'default-scheduler' } });
  const scheduler = new Scheduler({ store, registry, events });
  const profile = process.env.SCHEDULER_BENCH_PROF ? new Session() : undefined;
  try {
    await measure(64, nodes, (i) => registry.create(NODES, undefined, benchNode(i)));
    const createPods = () => measure(64, pods, (i) => registry.create(PODS, NS, benchPod(`bench-pod-${i}`)));
    if (mode === 'created first') await createPods();
    process.stderr.write(`${mode}: ${nodes} nodes${mode === 'created first' ? `, ${pods} pods` : ''} created; scheduling\n`);
    if (profile) {
      profile.connect();
      await profile.post('Profiler.enable');
      await profile.post('Profiler.start');
    }
    const started = performance.now();
    await scheduler.start();
    const creating = mode === 'created while scheduling' ? createPods() : undefined;
    let last = 0;
    while (scheduler.stats.bound < pods) {
      await new Promise((r) => setTimeout(r, 100));
      if (scheduler.stats.bound - last >= 5000) {
        last = scheduler.stats.bound;
        process.stderr.write(`  ${last} bound after ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    await creating;
    if (profile) {
      const { profile: data } = await profile.post('Profiler.stop');
      await writeFile(join(process.env.SCHEDULER_BENCH_PROF as string, `scheduler-bench-${mode.replace(/ /g, '-')}.cpuprofile`), JSON.stringify(data));
    }
    const { decisions, nodesEvaluated } = scheduler.stats;
    return { subject: `kactus scheduler, pods ${mode}`, nodes, pods, seconds, decisions, nodesPerDecision: nodesEvaluated / Math.max(1, decisions) };
  } finally {
    profile?.disconnect();
    await scheduler.stop();
    registry.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const nodes = flag('nodes', 5000);
  const pods = flag('pods', 50_000);
  const rows: Row[] = [];
  rows.push(await run(nodes, pods, 'created first'));
  rows.push(await run(nodes, pods, 'created while scheduling'));
  const floor = KUBE_SCHEDULER_PERF_FLOOR_PODS_PER_SEC;
  console.log(
    markdownTable(
      ['subject', 'nodes', 'pods', 'seconds', 'pods/s bound', 'nodes filtered per decision', 'anchor: kube-scheduler scheduler_perf floor (published) pods/s', 'vs anchor', 'goal pods/s'],
      rows.map((r) => {
        const rate = r.pods / r.seconds;
        return [r.subject, String(r.nodes), String(r.pods), r.seconds.toFixed(1), rate.toFixed(0), r.nodesPerDecision.toFixed(0), String(floor), `${(rate / floor).toFixed(2)}x`, String(GOAL_PODS_PER_SEC)];
      }),
    ),
  );
  console.log('\nThe anchor is the threshold kube-scheduler\'s scheduler_perf CI holds SchedulingBasic 5000Nodes_50000Pods to (a published figure, not run here).');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
