/**
 * Rough throughput of the embedded store on this machine (fsync on, 1 KB values):
 *   node --import tsx src/store/embedded/bench-throughput.ts [N=10000]
 * Prints sequential and concurrency-64 creates/s with p50/p99 latency, plus list and restart
 * times, as JSON. The same workload as the etcd figure in ../../../../shared/NOTES.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../types.ts';
import { openEmbeddedStore } from './index.ts';

const N = Number(process.argv[2] ?? 10_000);
const value = 'v'.repeat(1024);

async function creates(store: Store, prefix: string, concurrency: number): Promise<Record<string, number>> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < N) {
        const i = next++;
        const t = performance.now();
        await store.create(`${prefix}/${String(i).padStart(8, '0')}`, value);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => Number(latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(2));
  return { concurrency, writesPerSecond: Math.round(N / seconds), p50ms: pct(0.5), p99ms: pct(0.99) };
}

const dir = await mkdtemp(join(tmpdir(), 'kactus-bench-'));
try {
  const store = await openEmbeddedStore(dir);
  const sequential = await creates(store, '/bench/seq', 1);
  const parallel = await creates(store, '/bench/par', 64);
  let t = performance.now();
  const listed = await store.list('/bench/par/');
  const listMs = performance.now() - t;
  await store.close();
  t = performance.now();
  const reopened = await openEmbeddedStore(dir);
  const reopenMs = performance.now() - t;
  const count = await reopened.count('/bench/');
  await reopened.close();
  console.log(
    JSON.stringify(
      { n: N, valueBytes: value.length, sequential, parallel, listAll: { items: listed.items.length, ms: Math.round(listMs) }, reopen: { keys: count, ms: Math.round(reopenMs) } },
      null,
      2,
    ),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
