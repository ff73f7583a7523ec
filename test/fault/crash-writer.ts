/**
 * Child process for the store crash tests: writes keys into an embedded store as fast as it can
 * and reports on stdout, one line each, written synchronously so that a line printed is a line
 * the parent reads even after SIGKILL:
 *   START <revision>              store opened, at this revision
 *   W <key> <value>               about to write
 *   A <key> <value> <modRevision> write acknowledged (durable)
 * Each worker creates a key, then updates it once, then moves to the next key.
 *
 * Usage: node --import tsx test/fault/crash-writer.ts DIR [concurrency=16] [snapshotEveryRecords=500] [tag=run]
 */
import { writeSync } from 'node:fs';
import { openEmbeddedStore } from '../../src/store/embedded/index.ts';

/**
 * Write a line to stdout before returning. process.stdout may queue in user space when the pipe
 * is full, and a queued line dies with the process: the parent would then miss a write intent.
 */
function report(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  for (let off = 0; off < bytes.length; ) {
    try {
      off += writeSync(1, bytes, off);
    } catch (err) {
      // A non-blocking pipe that is full: wait for the reader (busy, but only a test driver).
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

const [dir, concurrencyArg = '16', snapshotArg = '500', tag = 'run'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: crash-writer.ts DIR [concurrency] [snapshotEveryRecords] [tag]\n');
  process.exit(2);
}

const store = await openEmbeddedStore(dir, { snapshotEveryRecords: Number(snapshotArg) });
report(`START ${await store.currentRevision()}`);

async function worker(w: number): Promise<never> {
  for (let n = 0; ; n++) {
    const key = `/crash/${tag}/w${w}/${n}`;
    const created = `${tag}.${w}.${n}.0-${'x'.repeat(n % 200)}`;
    report(`W ${key} ${created}`);
    const kv = await store.create(key, created);
    report(`A ${key} ${created} ${kv.modRevision}`);
    const updated = `${tag}.${w}.${n}.1`;
    report(`W ${key} ${updated}`);
    const kv2 = await store.update(key, updated, kv.modRevision);
    report(`A ${key} ${updated} ${kv2.modRevision}`);
  }
}

await Promise.all(Array.from({ length: Number(concurrencyArg) }, (_, w) => worker(w)));
