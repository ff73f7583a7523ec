/**
 * Fencing: a view of a Store whose every write commits only while its writer holds a lease,
 * checked by the store itself in the write's own transaction — not merely before writing. The
 * elected master's controllers write through one (src/master), so a leader that was paused
 * (SIGSTOP, a long GC, a stalled disk) past its lease and then resumes cannot write a byte once
 * another master has taken the lease over: its writes fail atomically with `FencedError`.
 *
 * The fence is the revision of the lease key (the leader Lease object): every write is a
 * transaction whose compares include `leaseKey.modRevision == the revision this process last
 * wrote it at`. The leader rewrites its Lease on every renewal, so a write prepared before a
 * renewal and committed after it fails that compare although we still lead: the write is then
 * tried again on the revision the renewal wrote — only a revision this process wrote itself
 * counts, so a write lands exactly when, at its commit, the lease key is as we last left it.
 *
 * It works on any backend (embedded and etcd alike) because it only uses `txn`. Reads, watches,
 * leases and compaction pass through unfenced; `close()` leaves the underlying store open.
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
  fencedOff(found: KeyValue | undefined): void;
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

  async create(key: string, value: string, opts?: PutOptions): Promise<KeyValue> {
    const res = await this.fencedTxn([{ key, modRevision: 0 }], [{ type: 'put', key, value, lease: opts?.lease }]);
    if (!res.succeeded) throw new KeyExistsError(key);
    return res.results[0]!;
  }

  async update(key: string, value: string, expectedRevision: number, opts?: PutOptions): Promise<KeyValue> {
    // A compare on revision 0 means "absent" in a txn; no key is ever at revision 0.
    if (expectedRevision > 0) {
      const res = await this.fencedTxn([{ key, modRevision: expectedRevision }], [{ type: 'put', key, value, lease: opts?.lease }]);
      if (res.succeeded) return res.results[0]!;
    }
    throw await this.casFailure(key, expectedRevision);
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    const compares = expectedRevision === undefined ? [] : [{ key, modRevision: expectedRevision }];
    const res = await this.fencedTxn(compares, [{ type: 'delete', key }]);
    if (res.succeeded) {
      if (res.results[0]) return res.results[0];
      throw new NotFoundError(key);
    }
    throw await this.casFailure(key, expectedRevision ?? 0);
  }

  txn(compares: TxnCompare[], ops: TxnOp[]): Promise<TxnResult> {
    return this.fencedTxn(compares, ops);
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
   * `compares` + the fence compare, atomically. A result that did not succeed is the write's own
   * compares failing (with the fence held); a moved fence is retried or thrown as FencedError.
   */
  private async fencedTxn(compares: TxnCompare[], ops: TxnOp[]): Promise<TxnResult> {
    let held = this.fence.revision();
    for (let retries = 0; ; retries++) {
      if (held === undefined) {
        this.stats.fencedOff++;
        throw new FencedError(this.fence.key);
      }
      const res = await this.inner.txn([...compares, { key: this.fence.key, modRevision: held }], ops);
      if (res.succeeded) {
        this.stats.committed++;
        return res;
      }
      const found = await this.inner.get(this.fence.key);
      if (found?.modRevision === held) return res;
      // The lease key moved: our own renewal (try again on the revision it wrote) or another holder.
      const settled = await this.fence.settled();
      if (settled !== undefined && settled !== held && retries < MAX_RENEWAL_RETRIES) {
        this.stats.retriedAfterRenewal++;
        held = settled;
        continue;
      }
      this.stats.fencedOff++;
      this.fence.fencedOff(found);
      throw new FencedError(this.fence.key, held, found?.modRevision);
    }
  }

  /** The error a plain CAS update/delete would have thrown, read after the fenced txn failed on the key's own compare. */
  private async casFailure(key: string, expectedRevision: number): Promise<Error> {
    const current = await this.inner.get(key);
    return current ? new ConflictError(key, expectedRevision, current) : new NotFoundError(key);
  }
}

/** The view of `store` that writes only while `fence` is held. */
export function fencedStore(store: Store, fence: Fence): FencedStore {
  return new FencedStore(store, fence);
}

/** The store a view stands for (a fenced view shares the informers of the store it wraps). */
export function underlyingStore(store: Store): Store {
  return store instanceof FencedStore ? store.inner : store;
}
