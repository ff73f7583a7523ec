/**
 * Event stream benchmark: `node --import tsx bench/events.ts`.
 *
 * A master's stream path under load: many WebSocket clients on `/kactus/v1/events` while
 * transitions are appended at a fixed rate through the real write path (InspectionBus → the
 * transition log's writer → the embedded store → the hub's store watch → each client's socket).
 * Three processes so that the clients do not share the server's event loop: the server
 * (bench/events-server.ts: store, API server, writer, a synthetic publisher) and two client
 * processes (bench/events-clients.ts) holding half the connections each.
 *
 * Per scenario it prints the achieved transition rate beside the delivery latency of every
 * message at every client (publish-due time → received; p50/p99/max), messages delivered and
 * missing, the server's RSS and heap before, at most during, and after the run, the most bytes
 * it held for one client, and the slow-consumer (4429) closes.
 *
 * Flags (one scenario instead of the default set): --clients N --rate R --seconds S
 * --filter all|namespace --namespaces N --store embedded|etcd --flush-ms M --workers W (the server's stream
 * worker threads; default: the server's default, one fewer than the cores). `EVENTS_BENCH_PROF=DIR` writes the
 * server's CPU profiles there (the main thread's and each worker's).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LatencyHistogram } from './events-histogram.ts';
import type { ClientsReport } from './events-clients.ts';
import type { MemorySample, PublishedReport } from './events-server.ts';
import { markdownTable } from './lib.ts';
import { etcdAvailable, startEtcdCluster } from '../test/support/etcd.ts';
import { defaultStreamWorkers } from '../src/apiserver/events/workers/pool.ts';

interface Scenario {
  name: string;
  clients: number;
  rate: number;
  seconds: number;
  /** Transitions are spread over this many namespaces. */
  namespaces: number;
  /** `namespace`: client i watches `ns-<i % namespaces>`; `all`: every client watches everything. */
  filter: 'all' | 'namespace';
  /** The master's store: embedded (fsync'd, as `kactus up`) or a fresh 1-member etcd. */
  store: 'embedded' | 'etcd';
  /** The hub's flush interval (src/apiserver/events/flush-rounds.ts): 15 ms is the server's default, 0 writes every turn. */
  flushMs: number;
  /** Stream worker threads (src/apiserver/events/workers): undefined for the server's default, 0 for none (the main thread serves every stream). */
  workers?: number;
}

const CLIENT_PROCESSES = 2;
const DEFAULT_WORKERS = defaultStreamWorkers();
const EXEC_ARGV = ['--import', 'tsx'];

const scenario = (s: Omit<Scenario, 'name' | 'flushMs'> & { flushMs?: number }): Scenario => {
  const flushMs = s.flushMs ?? 15;
  const workers = s.workers === undefined ? `${DEFAULT_WORKERS} stream worker${DEFAULT_WORKERS === 1 ? '' : 's'} (default)` : s.workers === 0 ? 'no stream workers' : `${s.workers} stream worker${s.workers === 1 ? '' : 's'}`;
  return {
    ...s,
    flushMs,
    name: `${s.clients.toLocaleString('en-US')} clients, ${s.filter === 'all' ? 'every transition' : `one namespace each (of ${s.namespaces})`}, ${s.store}, ${flushMs > 0 ? `rounds of ${flushMs} ms` : 'written every turn'}, ${workers}`,
  };
};

/**
 * The goal (1,000 clients at 5,000 transitions/s) with each client following one namespace, on
 * both stores, and on the embedded one without stream workers (the main thread writing every socket); then the same deliveries a second with every client following everything (at
 * 50/s); then every transition to 10 clients (50,000 deliveries/s), and to 100 (500,000/s: more
 * than one core can write, to show the bound and the 4429s). 1,000 clients taking every
 * transition at 5,000/s would be 5 million deliveries a second: not attempted (see README).
 */
const DEFAULTS: Scenario[] = [
  scenario({ clients: 1000, rate: 5000, seconds: 20, namespaces: 100, filter: 'namespace', store: 'embedded' }),
  scenario({ clients: 1000, rate: 5000, seconds: 20, namespaces: 100, filter: 'namespace', store: 'embedded', workers: 0 }),
  scenario({ clients: 1000, rate: 5000, seconds: 20, namespaces: 100, filter: 'namespace', store: 'etcd' }),
  scenario({ clients: 1000, rate: 50, seconds: 20, namespaces: 100, filter: 'all', store: 'embedded' }),
  scenario({ clients: 10, rate: 5000, seconds: 20, namespaces: 100, filter: 'all', store: 'embedded' }),
  scenario({ clients: 100, rate: 5000, seconds: 10, namespaces: 100, filter: 'all', store: 'embedded' }),
];

/** `EVENTS_BENCH_PROF=DIR`: the server writes a V8 CPU profile there (node --cpu-prof). */
const PROFILE_DIR = process.env.EVENTS_BENCH_PROF;

function child(file: string, args: string[] = []): ChildProcess {
  const profile = PROFILE_DIR && file.includes('server') ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  return fork(fileURLToPath(new URL(file, import.meta.url)), args, { execArgv: [...EXEC_ARGV, ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, KACTUS_LOG_LEVEL: 'warn' } });
}

/** The next IPC message of `type` from `p` (rejects on an `error` message or exit). */
function next<T>(p: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string; message?: string }): void => {
      if (m.type === 'error') finish(() => reject(new Error(m.message)));
      else if (m.type === type) finish(() => resolve(m as T));
    };
    const onExit = (code: number | null): void => finish(() => reject(new Error(`child exited (${code}) waiting for ${type}`)));
    const finish = (settle: () => void): void => {
      p.off('message', onMessage);
      p.off('exit', onExit);
      settle();
    };
    p.on('message', onMessage);
    p.on('exit', onExit);
  });
}

const ask = <T>(p: ChildProcess, cmd: Record<string, unknown>, type: string): Promise<T> => {
  const answer = next<T>(p, type);
  p.send(cmd);
  return answer;
};

interface Result {
  scenario: Scenario;
  published: PublishedReport;
  expected: number;
  received: number;
  disorder: number;
  histogram: LatencyHistogram;
  before: MemorySample;
  after: MemorySample;
  clientCloses: Record<string, number>;
  drainSeconds: number;
  clientsCpuMs: number;
}

async function run(s: Scenario): Promise<Result> {
  const etcd = s.store === 'etcd' ? await startEtcdCluster({ members: 1, heartbeatMs: 100, electionTimeoutMs: 1000 }) : undefined;
  const server = child('./events-server.ts', [etcd?.uri ?? 'embedded', String(s.flushMs), s.workers === undefined ? 'default' : String(s.workers)]);
  const clients: ChildProcess[] = [];
  try {
    const ready = await next<{ url: string; ca: string; token: string }>(server, 'ready');
    const queries = Array.from({ length: s.clients }, (_, i) => (s.filter === 'namespace' ? `namespace=ns-${i % s.namespaces}` : ''));
    const shares = Array.from({ length: CLIENT_PROCESSES }, (_, p) => queries.filter((_q, i) => i % CLIENT_PROCESSES === p));
    for (let p = 0; p < CLIENT_PROCESSES; p++) clients.push(child('./events-clients.ts'));
    await Promise.all(clients.map((c, p) => ask(c, { cmd: 'open', url: ready.url, ca: ready.ca, token: ready.token, queries: shares[p] }, 'opened')));
    const before = await ask<MemorySample>(server, { cmd: 'sample' }, 'sample');

    const published = await ask<PublishedReport>(server, { cmd: 'publish', rate: s.rate, seconds: s.seconds, namespaces: s.namespaces }, 'published');
    // What the clients must receive: their namespace's share, or everything.
    const expected = queries.reduce((n, _q, i) => n + (s.filter === 'namespace' ? published.perNamespace[i % s.namespaces]! : published.published), 0);
    // Wait until every message arrived, or nothing more arrives for 5 s (at most 120 s).
    const drainStart = Date.now();
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const counts = await Promise.all(clients.map((c) => ask<{ received: number }>(c, { cmd: 'count' }, 'count')));
      const received = counts.reduce((n, c) => n + c.received, 0);
      if (received !== last) lastChange = Date.now();
      last = received;
      if (received >= expected || Date.now() - lastChange > 5_000 || Date.now() - drainStart > 120_000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const drainSeconds = (Date.now() - drainStart) / 1000;
    const after = await ask<MemorySample>(server, { cmd: 'sample' }, 'sample');
    const reports = await Promise.all(clients.map((c) => ask<ClientsReport>(c, { cmd: 'report' }, 'report')));
    const histogram = new LatencyHistogram();
    const clientCloses: Record<string, number> = {};
    for (const r of reports) {
      histogram.add(r.histogram, r.maxMs);
      for (const [code, n] of Object.entries(r.closes)) clientCloses[code] = (clientCloses[code] ?? 0) + n;
    }
    return {
      scenario: s,
      published,
      expected,
      received: histogram.count,
      disorder: reports.reduce((n, r) => n + r.disorder, 0),
      histogram,
      before,
      after,
      clientCloses,
      drainSeconds,
      clientsCpuMs: reports.reduce((n, r) => n + r.cpuMs, 0),
    };
  } finally {
    for (const c of clients) c.send({ cmd: 'close' });
    server.send({ cmd: 'stop' });
    await Promise.all([server, ...clients].map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)))));
    await etcd?.stop();
  }
}

const f1 = (n: number): string => n.toFixed(1);
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function scenariosFromFlags(): Scenario[] {
  const { values } = parseArgs({ options: { clients: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' }, filter: { type: 'string' }, namespaces: { type: 'string' }, store: { type: 'string' }, 'flush-ms': { type: 'string' }, workers: { type: 'string' } } });
  if (Object.keys(values).length === 0) return DEFAULTS;
  return [
    scenario({
      clients: Number(values.clients ?? 1000),
      rate: Number(values.rate ?? 5000),
      seconds: Number(values.seconds ?? 20),
      namespaces: Number(values.namespaces ?? 100),
      filter: values.filter === 'all' ? 'all' : 'namespace',
      store: values.store === 'etcd' ? 'etcd' : 'embedded',
      flushMs: Number(values['flush-ms'] ?? 15),
      ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
    }),
  ];
}

const results: Result[] = [];
for (const s of scenariosFromFlags()) {
  if (s.store === 'etcd' && !etcdAvailable()) {
    process.stderr.write(`events bench: ${s.name}: skipped, no etcd binary\n`);
    continue;
  }
  process.stderr.write(`events bench: ${s.name}, ${s.rate}/s for ${s.seconds} s ...\n`);
  results.push(await run(s));
}

console.log(
  markdownTable(
    ['scenario', 'transitions/s (target)', 'achieved/s', 'delivered msgs/s', 'received / expected', 'p50 ms', 'p99 ms', 'max ms', 'publisher lag p50 / p99 ms', 'write path p50 / p99 ms', 'server CPU (cores)', 'main thread CPU (cores)', 'main thread waiting for a CPU (ms/s)', 'clients CPU (cores)', 'RSS MB before / max / after', 'heap MB before / max / after', 'most held for one client KB', '4429 closes', 'writer dropped'],
    results.map((r) => {
      const maxRss = Math.max(...r.published.samples.map((x) => x.rssMb));
      const maxHeap = Math.max(...r.published.samples.map((x) => x.heapMb));
      const window = r.published.seconds + r.drainSeconds;
      const stored = new LatencyHistogram();
      stored.add(r.published.stored.histogram, r.published.stored.maxMs);
      const lag = new LatencyHistogram();
      lag.add(r.published.lag.histogram, r.published.lag.maxMs);
      return [
        r.scenario.name,
        int(r.scenario.rate),
        int(r.published.written / r.published.seconds),
        int(r.received / window),
        `${int(r.received)} / ${int(r.expected)}`,
        f1(r.histogram.quantile(0.5)),
        f1(r.histogram.quantile(0.99)),
        f1(r.histogram.max),
        `${f1(lag.quantile(0.5))} / ${f1(lag.quantile(0.99))}`,
        `${f1(stored.quantile(0.5))} / ${f1(stored.quantile(0.99))}`,
        (r.published.cpuMs / 1000 / r.published.seconds).toFixed(2),
        (r.published.mainThreadCpuMs / 1000 / r.published.seconds).toFixed(2),
        int(r.published.runQueueMs / r.published.seconds),
        (r.clientsCpuMs / 1000 / window).toFixed(2),
        `${int(r.before.rssMb)} / ${int(maxRss)} / ${int(r.after.rssMb)}`,
        `${int(r.before.heapMb)} / ${int(maxHeap)} / ${int(r.after.heapMb)}`,
        int(r.published.bufferedHighWaterBytes / 1024),
        String(r.published.closes['4429'] ?? 0),
        String(r.published.dropped),
      ];
    }),
  ),
);
for (const r of results) {
  console.log(`${r.scenario.name}: load average ${r.published.loadAverage.map((l) => l.toFixed(2)).join(' ')} at the end of publishing (${cpus().length} cores)`);
  if (r.disorder > 0) console.log(`${r.scenario.name}: ${r.disorder} frames out of order or repeated`);
  const other = Object.entries(r.clientCloses).filter(([code]) => code !== '4429');
  if (other.length > 0) console.log(`${r.scenario.name}: other closes seen by clients: ${other.map(([c, n]) => `${c}×${n}`).join(', ')}`);
}
