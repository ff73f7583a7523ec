/**
 * Fencing: a view of a Store whose every write commits only while its writer holds a lease,
 * checked by the store itself in the write's own transaction — not merely before writing. The
 * elected master's controllers write through one (src/master), so a leader that was paused
 * (SIGSTOP, a long GC, a stalled disk) past its lease and then resumes cannot write a byte once
 * another master has taken the lease over: its writes fail atomically with `FencedError`.
 *
 * The fence is the revision of the lease key (the leader Lease object): every write carries
 * `leaseKey.modRevision == the revision this process last wrote it at` — creates and updates as
 * `PutOptions.fence` (so the etcd backend still groups them into shared transactions, the fence
 * compared once per transaction), deletes and transactions as one more compare; both backends
 * check it in the write's own atomic step. The leader rewrites its Lease on every renewal, so a
 * write prepared before a renewal and committed after it fails that compare although we still
 * lead: the write is then tried again on the revision the renewal wrote — only a revision this
 * process wrote itself counts, so a write lands exactly when, at its commit, the lease key is as
 * we last left it.
 *
 * Reads, watches, leases and compaction pass through unfenced; `close()` leaves the underlying
 * store open.
 */
import { ConflictError, FencedError, KeyExistsError, NotFoundError } from './errors.ts';
import type { KeyValue, ListOptions, ListResult, PutOptions, Store, TxnCompare, TxnOp, TxnResult, Watch, WatchHandler, WatchOptions } from './types.ts';

/** What a fenced store asks of the lease holder (src/master/leader-election.ts implements it). */
export interface Fence {
  /** The key whose revision every write compares: the leader Lease's key. */
  readonly key: string;
  /** The lease key's revision as this process last wrote it while holding it; undefined when it does not. */
  revision(): number | undefined;
  /**
   * The same, after any write of the lease key this process has in flight (a renewal that raced
   * a write): what a write that found the key moved tries again with.
   */
  settled(): Promise<number | undefined>;
  /** A write found the lease key at a revision this process did not write: another holds it. */
  fencedOff(err: FencedError): void;
}

/** Counters of a fenced store (tests and the failover measurements read them). */
export interface FenceStats {
  /** Writes committed. */
  committed: number;
  /** Writes refused: the lease key had moved to another holder, or this process did not lead. */
  fencedOff: number;
  /** Writes tried again after our own renewal moved the lease key under them. */
  retriedAfterRenewal: number;
}

/** Renewals come every few hundred ms: a write racing more than this many in a row is refused. */
const MAX_RENEWAL_RETRIES = 5;

export class FencedStore implements Store {
  readonly stats: FenceStats = { committed: 0, fencedOff: 0, retriedAfterRenewal: 0 };

  constructor(
    /** The store written to; shared with the rest of the process (informers key on it). */
    readonly inner: Store,
    private readonly fence: Fence,
  ) {}

  get(key: string): Promise<KeyValue | undefined> {
    return this.inner.get(key);
  }

  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    return this.inner.list(prefix, opts);
  }

  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }

  create(key: string, value: string, opts?: PutOptions): Promise<KeyValue> {
    if (opts?.fence) return this.putWithTwoFences(key, value, undefined, opts.fence, opts.lease);
    return this.fenced((fence) => this.inner.create(key, value, { ...opts, fence }));
  }

  update(key: string, value: string, expectedRevision: number, opts?: PutOptions): Promise<KeyValue> {
    if (opts?.fence) return this.putWithTwoFences(key, value, expectedRevision, opts.fence, opts.lease);
    return this.fenced((fence) => this.inner.update(key, value, expectedRevision, { ...opts, fence }));
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    const compares = expectedRevision === undefined ? [] : [{ key, modRevision: expectedRevision }];
    const res = await this.txn(compares, [{ type: 'delete', key }]);
    if (res.succeeded && res.results[0]) return res.results[0];
    // Not there, or not at the expected revision: the error a plain CAS delete throws.
    const current = res.succeeded ? undefined : await this.inner.get(key);
    throw current ? new ConflictError(key, expectedRevision ?? 0, current) : new NotFoundError(key);
  }

  /** A transaction that did not succeed is the caller's compares failing, with the fence held. */
  txn(compares: TxnCompare[], ops: TxnOp[]): Promise<TxnResult> {
    return this.fenced(async (fence) => {
      const res = await this.inner.txn([...compares, fence], ops);
      if (res.succeeded) return res;
      const found = await this.inner.get(fence.key);
      if (found?.modRevision !== fence.modRevision) throw new FencedError(fence.key, fence.modRevision, found?.modRevision);
      return res;
    });
  }

  watch(prefix: string, opts: WatchOptions, handler: WatchHandler): Watch {
    return this.inner.watch(prefix, opts, handler);
  }

  grantLease(ttlSeconds: number): Promise<number> {
    return this.inner.grantLease(ttlSeconds);
  }

  keepAlive(lease: number): Promise<void> {
    return this.inner.keepAlive(lease);
  }

  revokeLease(lease: number): Promise<void> {
    return this.inner.revokeLease(lease);
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  /** The view owns nothing: the underlying store stays open. */
  async close(): Promise<void> {}

  /**
   * A put that brings a fence of its own besides ours (PutOptions has room for one): a
   * transaction comparing both, its failure told apart as the plain store tells it.
   */
  private async putWithTwoFences(key: string, value: string, expectedRevision: number | undefined, theirFence: TxnCompare, lease: number | undefined): Promise<KeyValue> {
    // A compare on revision 0 means "absent" in a txn; no key is ever at revision 0.
    if (expectedRevision === undefined || expectedRevision > 0) {
      const res = await this.txn([{ key, modRevision: expectedRevision ?? 0 }, theirFence], [{ type: 'put', key, value, lease }]);
      if (res.succeeded) return res.results[0]!;
      const found = await this.inner.get(theirFence.key);
      if ((found?.modRevision ?? 0) !== theirFence.modRevision) throw new FencedError(theirFence.key, theirFence.modRevision, found?.modRevision);
    }
    const current = await this.inner.get(key);
    if (expectedRevision === undefined) throw new KeyExistsError(key);
    throw current ? new ConflictError(key, expectedRevision, current) : new NotFoundError(key);
  }

  /**
   * Runs `write` carrying the fence at the revision we hold. A FencedError means the lease key
   * moved: by our own renewal (try again on the revision it wrote) or by another holder (refused).
   */
  private async fenced<T>(write: (fence: TxnCompare) => Promise<T>): Promise<T> {
    let held = this.fence.revision();
    for (let retries = 0; ; retries++) {
      if (held === undefined) {
        this.stats.fencedOff++;
        throw new FencedError(this.fence.key);
      }
      try {
        const result = await write({ key: this.fence.key, modRevision: held });
        if (!isFailedTxn(result)) this.stats.committed++;
        return result;
      } catch (err) {
        if (!(err instanceof FencedError)) throw err;
        const settled = await this.fence.settled();
        if (settled !== undefined && settled !== held && retries < MAX_RENEWAL_RETRIES) {
          this.stats.retriedAfterRenewal++;
          held = settled;
          continue;
        }
        this.stats.fencedOff++;
        this.fence.fencedOff(err);
        throw err;
      }
    }
  }
}

function isFailedTxn(result: unknown): boolean {
  return typeof result === 'object' && result !== null && 'succeeded' in result && result.succeeded === false;
}

/** The view of `store` that writes only while `fence` is held. */
export function fencedStore(store: Store, fence: Fence): FencedStore {
  return new FencedStore(store, fence);
}

/** The store a view stands for (a fenced view shares the informers of the store it wraps). */
export function underlyingStore(store: Store): Store {
  return store instanceof FencedStore ? store.inner : store;
}
