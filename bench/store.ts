/**
 * Store write benchmark: `node --import tsx bench/store.ts`.
 *
 * Starts one etcd member, then for concurrency 1 and 64 measures creates of 1 KB values:
 * the raw etcd3 `put` (the anchor: what etcd itself delivers through this client), our etcd
 * backend's `create` (a CAS transaction), the same through the fenced view the elected master
 * writes through (src/store/fenced.ts), and our embedded backend's `create` (fsync'd WAL in
 * a temp dir). Prints one Markdown table; cleans up etcd and the temp dirs at the end.
 */
import { Etcd3 } from 'etcd3';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from '../src/store/embedded/index.ts';
import { openEtcdStore } from '../src/store/etcd/index.ts';
import type { Store } from '../src/store/types.ts';
import { fencedStore, type Fence } from '../src/store/fenced.ts';
import { startEtcdCluster } from '../test/support/etcd.ts';
import { markdownTable, measure, type Measurement } from './lib.ts';

const VALUE = 'x'.repeat(1024);
/** [concurrency, operations] per cell: ~2 minutes for the whole run on 2 cores. */
const CELLS: readonly [number, number][] = [
  [1, 2000],
  [64, 10_000],
];
const WARMUP_OPS = 200;

interface Subject {
  name: string;
  op: (key: string) => Promise<unknown>;
}

async function runCell(subject: Subject, concurrency: number, n: number, cell: string): Promise<Measurement> {
  const prefix = `/bench/${cell}/${subject.name.replace(/\W+/g, '-')}/`;
  await measure(concurrency, WARMUP_OPS, (i) => subject.op(`${prefix}warmup/${i}`));
  return measure(concurrency, n, (i) => subject.op(`${prefix}${i}`));
}

function storeSubject(name: string, store: Store): Subject {
  return { name, op: (key) => store.create(key, VALUE) };
}

let stopRenewing = (): void => undefined;

/**
 * The elected master's write path (src/store/fenced.ts): every create carries the fence, a
 * lease key rewritten every 250 ms as the LeaderElector renews its Lease, so writes in flight
 * across a renewal are tried again on the new revision.
 */
function renewedLease(store: Store): { fence: () => Promise<Fence>; stop: () => void } {
  const key = '/bench/leader-lease';
  let revision = 0;
  let renewal: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    fence: async () => {
      revision = (await store.create(key, 'bench')).modRevision;
      timer = setInterval(() => {
        renewal = store.update(key, 'bench', revision).then((kv) => void (revision = kv.modRevision));
      }, 250);
      return {
        key,
        revision: () => revision,
        settled: async () => {
          await renewal;
          return revision;
        },
        fencedOff: (err) => {
          throw err;
        },
      };
    },
    stop: () => clearInterval(timer),
  };
}

async function main(): Promise<void> {
  // etcd's default raft timings, so the anchor is what a stock member delivers.
  const cluster = await startEtcdCluster({ members: 1, heartbeatMs: 100, electionTimeoutMs: 1000 });
  const embeddedDir = await mkdtemp(join(tmpdir(), 'kactus-bench-embedded-'));
  const raw = new Etcd3({ hosts: cluster.endpoints });
  const stores: Store[] = [];
  try {
    const etcdStore = await openEtcdStore(cluster.endpoints);
    const embeddedStore = await openEmbeddedStore(embeddedDir);
    stores.push(etcdStore, embeddedStore);
    const anchor: Subject = { name: 'etcd3 put (anchor)', op: (key) => raw.put(key).value(VALUE).exec() };
    const leader = renewedLease(etcdStore);
    const subjects = [
      anchor,
      storeSubject('etcd backend create', etcdStore),
      storeSubject('etcd backend create, fenced (leader Lease renewed every 250 ms)', fencedStore(etcdStore, await leader.fence())),
      storeSubject('embedded create', embeddedStore),
    ];
    stopRenewing = leader.stop;

    const rows: string[][] = [];
    for (const [concurrency, n] of CELLS) {
      let anchorResult: Measurement | undefined;
      for (const subject of subjects) {
        const result = await runCell(subject, concurrency, n, `c${concurrency}`);
        anchorResult ??= result;
        rows.push([
          subject.name,
          String(concurrency),
          String(n),
          result.opsPerSec.toFixed(0),
          result.p50.toFixed(2),
          result.p99.toFixed(2),
          anchorResult.opsPerSec.toFixed(0),
          `${(result.opsPerSec / anchorResult.opsPerSec).toFixed(2)}x`,
        ]);
        console.error(`done: ${subject.name} c=${concurrency}`);
      }
    }
    console.log(`store create, 1 KB values, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, node ${process.version}`);
    console.log(
      markdownTable(['subject', 'concurrency', 'n', 'ops/s', 'p50 ms', 'p99 ms', 'anchor ops/s', 'vs anchor'], rows),
    );
  } finally {
    stopRenewing();
    for (const store of stores) await store.close();
    raw.close();
    await cluster.stop();
    await rm(embeddedDir, { recursive: true, force: true });
  }
}

await main();
