/**
 * The Store contract on a real etcd cluster. Every conditional write is one plain etcd
 * transaction (`if compares then ops else range`) – no STM, whose default isolation misreports
 * conflicts with etcd3 1.1 – so its answer is exact. Creates and updates issued together share
 * one transaction (write-batch.ts); store revisions number the writes inside an etcd revision
 * (revisions.ts).
 */
import {
  CompareResult,
  CompareTarget,
  GRPCOutOfRangeError,
  type Etcd3,
  type ICompare,
  type IKeyValue,
  type IRequestOp,
  type ITxnResponse,
} from 'etcd3';
import { CompactedError, ConflictError, KeyExistsError, NotFoundError, StoreClosedError } from '../errors.ts';
import type {
  KeyValue,
  ListOptions,
  ListResult,
  PutOptions,
  Store,
  TxnCompare,
  TxnOp,
  TxnResult,
  Watch,
  WatchHandler,
  WatchOptions,
} from '../types.ts';
import { int, keyBytes, prefixEnd, rangeStart, toKeyValue } from './codec.ts';
import { toStoreError } from './errors.ts';
import { grantLease, keepAliveOnce, revokeLease } from './lease.ts';
import { etcdRevisionOf, frameValue, isAtRevision, storeRevision } from './revisions.ts';
import { EtcdWatch, type EtcdWatchTimings } from './watch.ts';
import { DEFAULT_BATCH_LIMITS, PutBatcher, type BatchLimits, type QueuedPut } from './write-batch.ts';

/** A single key no kactus object uses, read to learn the current revision cheaply. */
const REVISION_PROBE_KEY = Buffer.from([0]);

function keyAbsent(key: string): ICompare {
  return { key: keyBytes(key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 };
}

/** Compares that hold iff `key` is at store revision `revision`; 0 (or less) never holds for a present key. */
function keyAt(key: string, revision: number): ICompare[] {
  if (revision > 0) return isAtRevision(key, revision);
  const exists: ICompare = { key: keyBytes(key), target: CompareTarget.Version, result: CompareResult.Greater, version: 0 };
  return [exists, { key: keyBytes(key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: 0 }];
}

function putOp(key: string, value: Buffer, lease: number | undefined): IRequestOp {
  return { request_put: { key: keyBytes(key), value, lease: lease ?? 0, prev_kv: true } };
}

function deleteOp(key: string): IRequestOp {
  return { request_delete_range: { key: keyBytes(key), prev_kv: true } };
}

function readOp(key: string): IRequestOp {
  return { request_range: { key: keyBytes(key) } };
}

/** The KeyValue a put at `revision` (a store revision) produced, given the value it replaced (if any). */
function written(key: string, value: string, revision: number, lease: number | undefined, prev?: IKeyValue): KeyValue {
  return {
    key,
    value,
    createRevision: prev ? storeRevision(int(prev.create_revision)) : storeRevision(etcdRevisionOf(revision)),
    modRevision: revision,
    version: prev ? int(prev.version) + 1 : 1,
    ...(lease ? { lease } : {}),
  };
}

/** The KeyValue a delete at `revision` removed: its last value stamped with the delete's revision. */
function deleted(prev: IKeyValue, revision: number): KeyValue {
  return { ...toKeyValue(prev), modRevision: revision };
}

/** Why a write expecting `key` at `expectedRevision` (undefined: absent) could not be applied to `current`, if it could not. */
function compareFailure(key: string, expectedRevision: number | undefined, current: KeyValue | undefined): Error | undefined {
  if (expectedRevision === undefined) return current ? new KeyExistsError(key) : undefined;
  if (!current) return new NotFoundError(key);
  return current.modRevision === expectedRevision ? undefined : new ConflictError(key, expectedRevision, current);
}

/** The value a failure branch's read of one key returned. */
function readBack(res: ITxnResponse, i: number): KeyValue | undefined {
  const kv = res.responses[i]?.response_range.kvs[0];
  return kv ? toKeyValue(kv) : undefined;
}

export interface EtcdStoreTimings {
  /** Deadline of each unary etcd call. */
  requestTimeoutMs: number;
  watch: EtcdWatchTimings;
  /** Bounds of one transaction of grouped writes (default: etcd's defaults). */
  batch?: BatchLimits;
}

/** The header revision of an etcd response, if it carries one. */
function headerRevision(res: unknown): number | undefined {
  if (typeof res !== 'object' || res === null || !('header' in res)) return undefined;
  const header = res.header;
  if (typeof header !== 'object' || header === null || !('revision' in header)) return undefined;
  return int(String(header.revision));
}

export class EtcdStore implements Store {
  private closed = false;
  /**
   * The newest revision any response to this store has carried. A watch without fromRevision
   * starts after it: nothing the caller could have seen through this store is replayed, and
   * nothing written after the call (necessarily at a higher revision) is missed, although the
   * etcd watch stream only exists some milliseconds later.
   */
  private seenRevision = 0;
  private readonly watches = new Set<EtcdWatch>();
  private readonly batcher: PutBatcher;

  constructor(
    private readonly client: Etcd3,
    private readonly timings: EtcdStoreTimings,
  ) {
    this.batcher = new PutBatcher((puts) => this.commit(puts), timings.batch ?? DEFAULT_BATCH_LIMITS);
  }

  /** Run one etcd call, translating its errors to StoreErrors. */
  private async call<T>(fn: () => Promise<T>, lease?: number): Promise<T> {
    if (this.closed) throw new StoreClosedError();
    let res: T;
    try {
      res = await fn();
    } catch (err) {
      throw toStoreError(err, lease);
    }
    this.seenRevision = Math.max(this.seenRevision, headerRevision(res) ?? 0);
    return res;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(() => this.client.kv.range({ key: keyBytes(key) }));
    const kv = res.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const { startAfter, limit = 0 } = opts;
    // Keys sort by bytes in etcd, so compare bytes: a continuation before the prefix starts at it.
    const resume = startAfter !== undefined && Buffer.compare(keyBytes(startAfter), keyBytes(prefix)) >= 0;
    const key = resume ? keyBytes(`${startAfter}\0`) : rangeStart(prefix);
    const at = opts.revision;
    let res;
    try {
      // A revision inside a transaction of grouped writes reads the whole transaction (they are one etcd revision).
      const revision = at ? { revision: etcdRevisionOf(at) } : {};
      res = await this.call(() => this.client.kv.range({ key, range_end: prefixEnd(prefix), limit, ...revision }));
    } catch (err) {
      // etcd answers OutOfRange for a revision compaction removed (ErrCompacted); it does not say
      // up to where, so the error names the requested revision as the known lower bound.
      if (at && err instanceof GRPCOutOfRangeError) throw new CompactedError(at, at);
      throw err;
    }
    return { items: res.kvs.map(toKeyValue), revision: at ?? storeRevision(int(res.header.revision)), more: res.more };
  }

  async count(prefix: string): Promise<number> {
    const res = await this.call(() =>
      this.client.kv.range({ key: rangeStart(prefix), range_end: prefixEnd(prefix), count_only: true }),
    );
    return int(res.count);
  }

  create(key: string, value: string, opts: PutOptions = {}): Promise<KeyValue> {
    return this.enqueue(key, value, undefined, opts.lease, [keyAbsent(key)]);
  }

  update(key: string, value: string, expectedRevision: number, opts: PutOptions = {}): Promise<KeyValue> {
    return this.enqueue(key, value, expectedRevision, opts.lease, keyAt(key, expectedRevision));
  }

  private enqueue(key: string, value: string, expectedRevision: number | undefined, lease: number | undefined, compare: ICompare[]): Promise<KeyValue> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise((resolve, reject) => this.batcher.submit({ key, value, expectedRevision, lease, compare, resolve, reject }));
  }

  /**
   * One transaction for a batch of puts: if every compare holds, every put (the last at back 0);
   * else read every key back. A failed transaction answers the puts whose compares failed, as
   * their own transactions would have at that revision, and retries the rest.
   */
  private commit(puts: QueuedPut[]): void {
    const last = puts.length - 1;
    const compare = puts.flatMap((p) => p.compare);
    const success = puts.map((p, i) => putOp(p.key, frameValue(p.value, last - i), p.lease));
    const failure = puts.map((p) => readOp(p.key));
    this.call(() => this.client.kv.txn({ compare, success, failure }), puts[0]?.lease).then(
      (res) => {
        if (res.succeeded) {
          const revision = int(res.header.revision);
          puts.forEach((p, i) =>
            p.resolve(written(p.key, p.value, storeRevision(revision, last - i), p.lease, res.responses[i]?.response_put.prev_kv)),
          );
          return;
        }
        const retry = puts.filter((p, i) => {
          const err = compareFailure(p.key, p.expectedRevision, readBack(res, i));
          if (err) p.reject(err);
          return !err;
        });
        if (retry.length < puts.length) this.batcher.retry(retry);
        else for (const p of retry) p.reject(new Error(`etcd refused a transaction whose compares all hold on re-read (${p.key})`));
      },
      (err: unknown) => {
        for (const p of puts) p.reject(err);
      },
    );
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    const compare = expectedRevision === undefined ? [] : keyAt(key, expectedRevision);
    const res = await this.call(() =>
      this.client.kv.txn({ compare, success: [deleteOp(key)], failure: [readOp(key)] }),
    );
    if (!res.succeeded) throw compareFailure(key, expectedRevision, readBack(res, 0)) ?? new NotFoundError(key);
    const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
    if (!prev) throw new NotFoundError(key);
    return deleted(prev, storeRevision(int(res.header.revision)));
  }

  async txn(compares: TxnCompare[], ops: TxnOp[]): Promise<TxnResult> {
    const compare = compares.flatMap((c) => (c.modRevision === 0 ? [keyAbsent(c.key)] : keyAt(c.key, c.modRevision)));
    const success = ops.map((op) => (op.type === 'put' ? putOp(op.key, frameValue(op.value, 0), op.lease) : deleteOp(op.key)));
    const leases = ops.flatMap((op) => (op.type === 'put' && op.lease ? [op.lease] : []));
    const res = await this.call(() => this.client.kv.txn({ compare, success, failure: [] }), leases[0]);
    const revision = storeRevision(int(res.header.revision));
    if (!res.succeeded) return { succeeded: false, revision, results: [] };
    const results = ops.map((op, i) => {
      const response = res.responses[i];
      if (op.type === 'put') return written(op.key, op.value, revision, op.lease, response?.response_put.prev_kv);
      const prev = response?.response_delete_range.prev_kvs[0];
      return prev ? deleted(prev, revision) : undefined;
    });
    return { succeeded: true, revision, results };
  }

  watch(prefix: string, opts: WatchOptions, handler: WatchHandler): Watch {
    if (this.closed) {
      queueMicrotask(() => handler.onError(new StoreClosedError()));
      return { close: () => undefined };
    }
    const range = opts.exact ? { key: keyBytes(prefix) } : { key: rangeStart(prefix), rangeEnd: prefixEnd(prefix) };
    const from = opts.fromRevision ?? storeRevision(this.seenRevision);
    const watch = new EtcdWatch(this.client, { ...range, previous: opts.withoutPrevious !== true }, from, handler, this.timings.watch, (w) =>
      this.watches.delete(w),
    );
    this.watches.add(watch);
    return watch;
  }

  grantLease(ttlSeconds: number): Promise<number> {
    return this.call(() => grantLease(this.client, ttlSeconds));
  }

  keepAlive(lease: number): Promise<void> {
    return this.call(() => keepAliveOnce(this.client, lease, this.timings.requestTimeoutMs), lease);
  }

  revokeLease(lease: number): Promise<void> {
    return this.call(() => revokeLease(this.client, lease), lease);
  }

  async currentRevision(): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: REVISION_PROBE_KEY, count_only: true }));
    return storeRevision(int(res.header.revision));
  }

  async compact(revision: number): Promise<void> {
    try {
      // physical: return only once the history is gone, so old watches fail from now on.
      await this.call(() => this.client.kv.compact({ revision: etcdRevisionOf(revision), physical: true }));
    } catch (err) {
      // OutOfRange: already compacted past `revision` (a no-op), or a future revision (an error).
      if (!(err instanceof GRPCOutOfRangeError) || revision > (await this.currentRevision())) throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.batcher.drain(new StoreClosedError());
    for (const watch of [...this.watches]) watch.fail(new StoreClosedError());
    this.client.close();
  }
}
