/**
 * The master side of bench/events.ts, a child process: the store — embedded (`embedded://DIR`, as
 * `kactus up` opens it: fsync'd) or the etcd URI given as its argument — the API server with its `/kactus/v1/events` hub, and the
 * transition log's writer fed by an InspectionBus exactly as the leader wires it
 * (`bus.subscribe((rec) => transitionLog.enqueue(rec))`, src/master/master.ts). A synthetic
 * publisher stands in for the actors: it publishes `rate` transitions a second on the bus, each
 * stamped (in `event`) with the wall-clock time it was due, so a publisher that falls behind
 * shows up in the latency instead of hiding it. Memory is sampled while it runs.
 *
 * Parent → child (IPC): {cmd:'publish', rate, seconds, namespaces}, {cmd:'sample'}, {cmd:'stop'}.
 * Child → parent: {type:'ready', url, ca, token}, {type:'published', …}, {type:'sample', …}.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { InspectionBus, type TransitionRecord } from '../src/actors/inspection.ts';
import { startApiServer } from '../src/apiserver/server.ts';
import { RECORDS_PREFIX } from '../src/registry/transition-log/keys.ts';
import { TransitionLogWriter } from '../src/registry/transition-log/writer.ts';
import { openStore } from '../src/store/open.ts';
import { LatencyHistogram, type HistogramPairs } from './events-histogram.ts';

export interface MemorySample {
  atMs: number;
  rssMb: number;
  heapMb: number;
}

export interface PublishedReport {
  type: 'published';
  published: number;
  perNamespace: number[];
  seconds: number;
  written: number;
  dropped: number;
  failed: number;
  trimmed: number;
  samples: MemorySample[];
  bufferedHighWaterBytes: number;
  clients: number;
  closes: Record<string, number>;
  /** Publish-due → seen by a store watch in this process (the write path alone, before any fan-out). */
  stored: { histogram: HistogramPairs; maxMs: number };
  /** Publish-due → published (the publisher's own lag: a busy or descheduled event loop). */
  lag: { histogram: HistogramPairs; maxMs: number };
  loadAverage: number[];
  /** CPU the server process used (user + system, all threads) from the first publish until the last write, ms. */
  cpuMs: number;
  /** Time the server's main thread was ready to run but waiting for a CPU (/proc schedstat), ms. */
  runQueueMs: number;
  /** CPU the server's main thread used (/proc schedstat), ms: the rest of `cpuMs` is the stream workers' (and Node's own threads'). */
  mainThreadCpuMs: number;
}

/** The main thread's time on a CPU and waiting on a run queue so far, ms (Linux schedstat: on-CPU ns, waiting ns, slices). */
function mainThreadSchedMs(): { onCpu: number; waiting: number } {
  try {
    const [onCpu, waiting] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return { onCpu: Number(onCpu) / 1e6, waiting: Number(waiting) / 1e6 };
  } catch {
    return { onCpu: NaN, waiting: NaN };
  }
}

/** Wall-clock milliseconds with sub-ms precision, comparable across processes of one machine. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

const sample = (start: number): MemorySample => {
  const m = process.memoryUsage();
  return { atMs: Math.round(wallMs() - start), rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 };
};

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kactus-bench-events-'));
  const uri = process.argv[2] && process.argv[2] !== 'embedded' ? process.argv[2] : `embedded://${join(dir, 'store')}`;
  const store = await openStore(uri);
  // argv: store, flush interval ms, stream workers ('default': the server's default).
  const workers = process.argv[4] === undefined || process.argv[4] === 'default' ? {} : { workers: Number(process.argv[4]) };
  const server = await startApiServer({ store, dataDir: dir, port: 0, logger: pino({ level: 'silent' }), eventStream: { flushIntervalMs: Number(process.argv[3] ?? 15), ...workers } });
  const streamFigures = async (): Promise<{ clients: number; bufferedHighWater: number }> => {
    const hubs = await server.eventStreamStats();
    return { clients: hubs.reduce((n, h) => n + h.clients, 0), bufferedHighWater: Math.max(...hubs.map((h) => h.bufferedHighWater)) };
  };
  const writer = new TransitionLogWriter({ store, logger: pino({ level: 'warn' }) });
  const bus = new InspectionBus();
  bus.subscribe((rec) => writer.enqueue(rec));
  const send = (msg: unknown): void => void process.send!(msg);

  // A first transition, so the hub starts (and every client's snapshot) before the clock does.
  bus.publish(record(0, 0, 1, wallMs()));
  await writer.idle();

  process.on('message', (msg: { cmd: string; rate?: number; seconds?: number; namespaces?: number }) => {
    if (msg.cmd === 'publish') void publish(msg.rate!, msg.seconds!, msg.namespaces!);
    if (msg.cmd === 'sample') void streamFigures().then((f) => send({ type: 'sample', ...sample(wallMs()), clients: f.clients }));
    if (msg.cmd === 'stop') void stop();
  });

  async function publish(rate: number, seconds: number, namespaces: number): Promise<void> {
    const start = wallMs();
    const total = Math.round(rate * seconds);
    const perNamespace = new Array<number>(namespaces).fill(0);
    const samples: MemorySample[] = [sample(start)];
    const sampler = setInterval(() => samples.push(sample(start)), 500);
    const before = writer.stats;
    const cpuBefore = process.cpuUsage();
    const schedBefore = mainThreadSchedMs();
    // The write path's share of the latency: a raw watch of the log beside the hub's, stamping
    // arrivals (a byte search, no decoding: it must cost the server little).
    const stored = new LatencyHistogram();
    const lag = new LatencyHistogram();
    const observer = store.watch(RECORDS_PREFIX, { fromRevision: await store.currentRevision() }, {
      onEvents: (events) => {
        const now = wallMs();
        for (const ev of events) {
          const at = ev.type === 'put' ? ev.kv.value.indexOf('"event":"bench.') : -1;
          if (at >= 0) stored.record(now - Number(ev.kv.value.slice(at + 15, ev.kv.value.indexOf('"', at + 15))));
        }
      },
      onError: () => undefined,
    });
    let k = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = wallMs();
        // Transition k is due at start + k / rate: those due by now are 0 ..= floor(elapsed · rate).
        const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
        for (; k < due; k++) {
          lag.record(now - (start + (k * 1000) / rate));
          bus.publish(record(k, k % namespaces, namespaces, start + (k * 1000) / rate));
          perNamespace[k % namespaces]!++;
        }
        if (k < total) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
    await writer.idle();
    // Until the last one is in the store: a writer that lags lowers the achieved rate.
    const elapsed = (wallMs() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const schedAfter = mainThreadSchedMs();
    clearInterval(sampler);
    observer.close();
    samples.push(sample(start));
    const after = writer.stats;
    const figures = await streamFigures();
    const closes: Record<string, number> = {};
    for (const { labels, value } of (await server.metrics.eventStreamClosed.get()).values) closes[String(labels.code)] = value;
    const report: PublishedReport = {
      type: 'published',
      published: k,
      perNamespace,
      seconds: elapsed,
      written: after.written - before.written,
      dropped: after.dropped - before.dropped,
      failed: after.failed - before.failed,
      trimmed: after.trimmed - before.trimmed,
      samples,
      bufferedHighWaterBytes: figures.bufferedHighWater,
      clients: figures.clients,
      closes,
      stored: { histogram: stored.pairs(), maxMs: stored.max },
      lag: { histogram: lag.pairs(), maxMs: lag.max },
      loadAverage: loadavg(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      runQueueMs: schedAfter.waiting - schedBefore.waiting,
      mainThreadCpuMs: schedAfter.onCpu - schedBefore.onCpu,
    };
    send(report);
  }

  async function stop(): Promise<void> {
    await writer.close();
    await server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  }

  send({ type: 'ready', url: server.url, ca: server.caCertPem, token: server.adminToken });
}

/** Transition k: pod `p<k % 5000>` in namespace `ns-<ns>`, a realistic size (labels, a container's state path). */
function record(k: number, ns: number, namespaces: number, dueMs: number): TransitionRecord {
  const pod = k % 5000;
  return {
    kind: 'Pod',
    namespace: `ns-${ns % namespaces}`,
    name: `web-7d9f8c6b5-${pod.toString(36).padStart(5, '0')}`,
    uid: `6f1c2a8e-0b7d-4c1e-9a3f-${pod.toString(16).padStart(12, '0')}`,
    actor: k % 2 === 0 ? '' : 'container:app',
    time: new Date(dueMs).toISOString(),
    from: 'pending.startingContainers',
    to: 'running',
    event: `bench.${dueMs.toFixed(3)}`,
    labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5' },
  };
}

await main();
