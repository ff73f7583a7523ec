/**
 * Group commit for etcd: single-key creates and updates issued in one turn of the event loop
 * are committed as one etcd transaction. Each etcd call costs the client far more CPU than the
 * bytes it carries (gRPC, HTTP/2, protobuf: ~0.3–0.4 ms here), so under concurrent load most of a
 * write's cost is the call; one call for many writes is how the API server keeps up with etcd
 * (bench/README.md). A lone write is still sent at once, as its own transaction.
 *
 * This file only queues and groups; the store commits a group (`commit`) and, when one put's
 * compare failed the whole transaction, answers that put and hands the others back (`retry`).
 */
import type { ICompare } from 'etcd3';
import type { KeyValue, TxnCompare } from '../types.ts';

export interface QueuedPut {
  key: string;
  value: string;
  /** The store revision the key must be at; undefined for a create (the key must not exist). */
  expectedRevision: number | undefined;
  lease: number | undefined;
  /** The etcd compares that must hold for this put (built once; the batch is cut by their count). */
  compare: ICompare[];
  /** The fence this put carries (PutOptions.fence): a batch holds puts of one fence, compared once. */
  fence?: TxnCompare;
  resolve(kv: KeyValue): void;
  reject(err: unknown): void;
}

export interface BatchLimits {
  /** etcd's --max-txn-ops (default 128): a bound on a transaction's compares and on its ops. */
  maxOps: number;
  /** Keys and values per transaction, below etcd's --max-request-bytes (default 1.5 MiB). */
  maxBytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxOps: 128, maxBytes: 1024 * 1024 };

export class PutBatcher {
  private queue: QueuedPut[] = [];
  private scheduled = false;

  constructor(
    private readonly commit: (puts: QueuedPut[]) => void,
    private readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS,
  ) {}

  submit(put: QueuedPut): void {
    this.queue.push(put);
    this.schedule();
  }

  /** Puts whose compares held in a transaction that failed for another put: next batch, first. */
  retry(puts: QueuedPut[]): void {
    this.queue.unshift(...puts);
    this.schedule();
  }

  /** Fail everything still queued (the store is closing). */
  drain(err: unknown): void {
    const queued = this.queue;
    this.queue = [];
    for (const put of queued) put.reject(err);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current turn's I/O callbacks: every request that arrived with this one joins it.
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0) this.commit(this.takeBatch());
    });
  }

  /**
   * The longest run of queued puts one transaction can hold: distinct keys (etcd refuses a
   * transaction writing a key twice), one fence, within the limits, and a put with a lease alone
   * (a lease that expired fails its whole transaction). What does not fit stays queued, in order.
   */
  private takeBatch(): QueuedPut[] {
    const batch: QueuedPut[] = [];
    const rest: QueuedPut[] = [];
    const keys = new Set<string>();
    // A fenced batch compares the fence key once (up to 3 compares: revision and place) and reads it back on failure.
    const fenced = this.queue[0]?.fence !== undefined;
    const maxPuts = fenced ? this.limits.maxOps - 1 : this.limits.maxOps;
    let compares = fenced ? 3 : 0;
    let bytes = 0;
    for (const put of this.queue) {
      const size = Buffer.byteLength(put.key) + Buffer.byteLength(put.value);
      const fits =
        batch.length === 0 ||
        (put.lease === undefined &&
          batch[0]!.lease === undefined &&
          !keys.has(put.key) &&
          sameFence(put.fence, batch[0]!.fence) &&
          batch.length < maxPuts &&
          compares + put.compare.length <= this.limits.maxOps &&
          bytes + size <= this.limits.maxBytes);
      if (!fits) {
        rest.push(put);
        continue;
      }
      batch.push(put);
      keys.add(put.key);
      compares += put.compare.length;
      bytes += size;
    }
    this.queue = rest;
    return batch;
  }
}

function sameFence(a: TxnCompare | undefined, b: TxnCompare | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.key === b.key && a.modRevision === b.modRevision);
}
