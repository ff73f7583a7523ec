/**
 * The embedded `Store`: an in-process MVCC keyspace whose writes are acknowledged only once
 * their journal record is durable.
 *
 * Write path (all synchronous until the final await, so no two writes interleave): validate
 * against the keyspace -> build a record at revision+1 -> `keyspace.apply` -> `journal.append`
 * -> await durability. When a batch becomes durable: raise `durableRevision`, append its events
 * to history, publish them to watchers, resolve the writers.
 *
 * Read path: reads see the latest applied state but return only once that state is durable
 * (`settle`), so nothing a caller or watcher has seen can be lost by a crash, and a revision
 * once shown is never reused.
 */
import {
  CompactedError,
  ConflictError,
  FencedError,
  KeyExistsError,
  LeaseNotFoundError,
  NotFoundError,
  StoreClosedError,
  StoreUnavailableError,
} from '../errors.ts';
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
  WatchEvent,
  WatchHandler,
  WatchOptions,
} from '../types.ts';
import { readAsOf } from './as-of.ts';
import { History } from './history.ts';
import type { Commit, CommitSink, Journal } from './journal.ts';
import type { Keyspace } from './keyspace.ts';
import { LeaseTimers } from './lease-timers.ts';
import type { ResolvedOptions } from './options.ts';
import type { KeyChange, WalRecord } from './records.ts';
import { WatchHub } from './watch-hub.ts';

interface Barrier {
  revision: number;
  resolve(): void;
  reject(err: Error): void;
}

export interface EmbeddedStoreParts {
  keyspace: Keyspace;
  /** Replayed events and the revision history starts after (from recovery). */
  history: History;
  options: ResolvedOptions;
  /** Builds the journal; receives the store's durability callbacks. */
  journal(sink: CommitSink): Journal;
  /** Runs after close (releases the dir lock). */
  onClose?(): void;
}

export class EmbeddedStore implements Store {
  private readonly keyspace: Keyspace;
  private readonly history: History;
  private readonly journal: Journal;
  private readonly hub: WatchHub;
  private readonly leases: LeaseTimers;
  private durableRevision: number;
  /** Events applied to the keyspace but not yet durable (so not yet in the history), oldest first. */
  private readonly pending: WatchEvent[] = [];
  /** Reads waiting for a revision to become durable, in nondecreasing revision order. */
  private barriers: Barrier[] = [];
  private closed = false;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly parts: EmbeddedStoreParts) {
    this.keyspace = parts.keyspace;
    this.history = parts.history;
    this.durableRevision = parts.keyspace.revision;
    this.hub = new WatchHub({
      clock: parts.options.clock,
      progressIntervalMs: parts.options.progressIntervalMs,
      durableRevision: () => this.durableRevision,
    });
    this.leases = new LeaseTimers(parts.options.clock, (id) => this.expireLease(id));
    for (const l of parts.keyspace.leaseList()) this.leases.arm(l.id, l.ttlSeconds);
    this.journal = parts.journal({
      durable: (commits) => this.onDurable(commits),
      failed: (err, commits) => this.onFailed(err, commits),
    });
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertUsable();
    const kv = this.keyspace.get(key);
    await this.settle();
    return kv;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertUsable();
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    if (opts.revision !== undefined && opts.revision < this.keyspace.revision) return this.listAsOf(prefix, opts.revision, opts.startAfter, limit);
    const items: KeyValue[] = [];
    let more = false;
    for (const kv of this.keyspace.keysUnder(prefix, opts.startAfter)) {
      if (items.length >= limit) {
        more = true;
        break;
      }
      items.push(kv);
    }
    const revision = this.keyspace.revision;
    await this.settle();
    return { items, revision, more };
  }

  /**
   * The range as of `revision`: now, with the changes after it undone — the durable ones from the
   * history, the applied-but-not-yet-durable ones from `pending`.
   */
  private async listAsOf(prefix: string, revision: number, startAfter: string | undefined, limit: number): Promise<ListResult> {
    if (revision < this.history.compactRevision) throw new CompactedError(revision, this.history.compactRevision);
    const newer = [...this.history.since(revision), ...this.pending];
    const page = readAsOf(this.keyspace.keysUnder(prefix, startAfter), newer, prefix, startAfter, limit);
    await this.settle();
    return { ...page, revision };
  }

  async count(prefix: string): Promise<number> {
    this.assertUsable();
    const n = this.keyspace.count(prefix);
    await this.settle();
    return n;
  }

  async create(key: string, value: string, opts: PutOptions = {}): Promise<KeyValue> {
    this.assertUsable();
    const lease = opts.lease ?? 0;
    const fenced = this.fenceFailure(opts.fence);
    if (fenced) return this.failAfterSettle(fenced);
    if (this.keyspace.get(key)) return this.failAfterSettle(new KeyExistsError(key));
    if (lease && !this.keyspace.hasLease(lease)) return this.failAfterSettle(new LeaseNotFoundError(lease));
    const [event] = await this.write([{ key, value, lease }]);
    return event!.kv;
  }

  async update(key: string, value: string, expectedRevision: number, opts: PutOptions = {}): Promise<KeyValue> {
    this.assertUsable();
    const lease = opts.lease ?? 0;
    const fenced = this.fenceFailure(opts.fence);
    if (fenced) return this.failAfterSettle(fenced);
    const current = this.keyspace.get(key);
    if (!current) return this.failAfterSettle(new NotFoundError(key));
    if (current.modRevision !== expectedRevision) return this.failAfterSettle(new ConflictError(key, expectedRevision, current));
    if (lease && !this.keyspace.hasLease(lease)) return this.failAfterSettle(new LeaseNotFoundError(lease));
    const [event] = await this.write([{ key, value, lease }]);
    return event!.kv;
  }

  /** The FencedError a write carrying `fence` gets now, if the fence key moved. */
  private fenceFailure(fence: TxnCompare | undefined): FencedError | undefined {
    if (!fence) return undefined;
    const found = this.keyspace.get(fence.key)?.modRevision ?? 0;
    return found === fence.modRevision ? undefined : new FencedError(fence.key, fence.modRevision, found || undefined);
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.assertUsable();
    const current = this.keyspace.get(key);
    if (!current) return this.failAfterSettle(new NotFoundError(key));
    if (expectedRevision !== undefined && current.modRevision !== expectedRevision) {
      return this.failAfterSettle(new ConflictError(key, expectedRevision, current));
    }
    const [event] = await this.write([{ key }]);
    return event!.kv;
  }

  async txn(compares: TxnCompare[], ops: TxnOp[]): Promise<TxnResult> {
    this.assertUsable();
    const holds = compares.every((c) => (this.keyspace.get(c.key)?.modRevision ?? 0) === c.modRevision);
    if (!holds) {
      const revision = this.keyspace.revision;
      await this.settle();
      return { succeeded: false, revision, results: [] };
    }
    for (const op of ops) {
      if (op.type === 'put' && op.lease && !this.keyspace.hasLease(op.lease)) return this.failAfterSettle(new LeaseNotFoundError(op.lease));
    }
    // Which ops change something: a delete of a key absent at that point in the txn is a no-op.
    const exists = new Map<string, boolean>();
    const changes: KeyChange[] = [];
    const changeOf: (number | undefined)[] = [];
    for (const op of ops) {
      const present = exists.get(op.key) ?? this.keyspace.get(op.key) !== undefined;
      if (op.type === 'put') {
        changeOf.push(changes.push({ key: op.key, value: op.value, lease: op.lease ?? 0 }) - 1);
        exists.set(op.key, true);
      } else if (present) {
        changeOf.push(changes.push({ key: op.key }) - 1);
        exists.set(op.key, false);
      } else {
        changeOf.push(undefined);
      }
    }
    if (changes.length === 0) {
      const revision = this.keyspace.revision;
      await this.settle();
      return { succeeded: true, revision, results: ops.map(() => undefined) };
    }
    const events = await this.write(changes);
    return { succeeded: true, revision: events[0]!.kv.modRevision, results: changeOf.map((i) => (i === undefined ? undefined : events[i]!.kv)) };
  }

  watch(prefix: string, opts: WatchOptions, handler: WatchHandler): Watch {
    const unusable = this.failure ?? (this.closed ? new StoreClosedError() : undefined);
    if (unusable) {
      queueMicrotask(() => handler.onError(unusable));
      return { close: () => {} };
    }
    return this.hub.add(prefix, opts, handler, this.history);
  }

  async grantLease(ttlSeconds: number): Promise<number> {
    this.assertUsable();
    // Whole seconds, at least one: etcd's unit, and a zero TTL would expire before the caller sees it.
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    const id = this.keyspace.nextLeaseId;
    await this.commit({ type: 'grant', id, ttlSeconds: ttl });
    this.leases.arm(id, ttl);
    return id;
  }

  async keepAlive(lease: number): Promise<void> {
    this.assertUsable();
    const ttl = this.keyspace.leaseTtl(lease);
    if (ttl === undefined) return this.failAfterSettle(new LeaseNotFoundError(lease));
    this.leases.arm(lease, ttl);
  }

  async revokeLease(lease: number): Promise<void> {
    this.assertUsable();
    if (!this.keyspace.hasLease(lease)) return this.failAfterSettle(new LeaseNotFoundError(lease));
    await this.revoke(lease);
  }

  async currentRevision(): Promise<number> {
    this.assertUsable();
    const revision = this.keyspace.revision;
    await this.settle();
    return revision;
  }

  async compact(revision: number): Promise<void> {
    this.assertUsable();
    await this.settle();
    // Only durable history can be compacted; a future revision means "everything so far".
    const rev = Math.min(revision, this.durableRevision);
    if (rev <= this.history.compactRevision && rev <= this.keyspace.compactRevision) return;
    this.history.compact(rev);
    await this.commit({ type: 'compact', rev });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.leases.disarmAll();
    try {
      await this.journal.close();
    } finally {
      this.hub.closeAll(this.failure ?? new StoreClosedError());
      for (const b of this.barriers.splice(0)) b.reject(new StoreClosedError());
      this.parts.onClose?.();
    }
  }

  /** Apply a write at the next revision and wait until it is durable. */
  private async write(changes: KeyChange[]): Promise<WatchEvent[]> {
    return this.commit({ type: 'write', rev: this.keyspace.revision + 1, changes });
  }

  private commit(record: WalRecord): Promise<WatchEvent[]> {
    const events = this.keyspace.apply(record);
    for (const ev of events) this.pending.push(ev);
    return new Promise((resolve, reject) => {
      this.journal.append(record, { events, resolve: () => resolve(events), reject });
    });
  }

  private expireLease(id: number): void {
    if (this.closed || this.failure || !this.keyspace.hasLease(id)) return;
    // Nobody awaits an expiry; a failure here has already failed the whole store.
    this.revoke(id).catch(() => {});
  }

  private async revoke(id: number): Promise<void> {
    this.leases.disarm(id);
    await this.commit({ type: 'revoke', id, rev: this.keyspace.revision + 1 });
  }

  private onDurable(commits: Commit[]): void {
    const events: WatchEvent[] = [];
    for (const c of commits) for (const ev of c.events) events.push(ev);
    if (events.length > 0) {
      // Commits become durable in the order they were applied: the oldest pending ones.
      this.pending.splice(0, events.length);
      this.durableRevision = events[events.length - 1]!.kv.modRevision;
      this.history.append(events);
      this.hub.publish(events);
    }
    for (const c of commits) c.resolve();
    let released = 0;
    while (released < this.barriers.length && this.barriers[released]!.revision <= this.durableRevision) {
      this.barriers[released++]!.resolve();
    }
    if (released > 0) this.barriers.splice(0, released);
  }

  private onFailed(err: Error, commits: Commit[]): void {
    this.failure ??= new StoreUnavailableError(`embedded store write failed: ${err.message}`, err);
    for (const c of commits) c.reject(this.failure);
    for (const b of this.barriers.splice(0)) b.reject(this.failure);
    this.leases.disarmAll();
    this.hub.closeAll(this.failure);
  }

  /** Resolves once everything applied so far is durable. */
  private settle(): Promise<void> {
    const revision = this.keyspace.revision;
    if (revision <= this.durableRevision) return Promise.resolve();
    return new Promise((resolve, reject) => this.barriers.push({ revision, resolve, reject }));
  }

  /** Reject with `err` once the state it describes is durable. */
  private async failAfterSettle(err: Error): Promise<never> {
    await this.settle();
    throw err;
  }

  private assertUsable(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new StoreClosedError();
  }
}
