/**
 * Appends actor transitions and Kubernetes Events to the transition log in the store (keys.ts),
 * one small record per write, so each gets its own store revision: its index in the stream.
 *
 * - Bounded: at most `maxPending` records wait; beyond that the oldest are dropped and counted
 *   (the log is telemetry; the store stays the truth for objects). Up to `maxInFlight` creates
 *   are issued in one turn of the event loop, so the etcd backend commits them as one
 *   transaction and the embedded store under one fsync (src/store/README.md), each still with
 *   its own revision, in the order appended.
 * - Trimmed: after every `perActor / 4` writes to one actor this writer lists that actor's
 *   records and deletes all but the newest `perActor` (by revision), in transactions of deletes;
 *   Events per object likewise (`perObject`). With several writers an actor holds at most
 *   `perActor` plus a quarter of it per writer.
 * - Directory: the first write for an object (again after `directoryRefreshMs`) also creates its
 *   `x/` key, which the sweeper (sweeper.ts) reads to delete the history of objects long gone.
 * - A failed write is counted and logged, never retried or thrown: an append's promise resolves
 *   once its record is written, dropped or failed.
 */
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { KubeObject } from '../../api/object.ts';
import type { TransitionRecord } from '../../api/transition.ts';
import { KeyExistsError } from '../../store/errors.ts';
import type { KeyValue, Store } from '../../store/types.ts';
import { encodeEvent, encodeTransition } from './entries.ts';
import { actorPrefix, directoryKey, eventsPrefix, uniqueSuffix, type ObjectRef } from './keys.ts';

export interface TransitionLogOptions {
  store: Store;
  /** Transitions kept per actor (default 200). */
  perActor?: number;
  /** Kubernetes Events kept per object (default 200). */
  perObject?: number;
  /** Records waiting to be written, at most (default 10,000); beyond, the oldest are dropped. */
  maxPending?: number;
  /**
   * Creates in flight at once (default 2048). A store acknowledges a create after its group
   * commit, and the next ones are issued from those acknowledgements: the writer's rate is at
   * most this many per commit round, and a round takes a turn of a busy event loop. At 256 a
   * master fanning the stream out to 1,000 clients wrote ~2,000/s and dropped the rest
   * (bench/events.ts); at 2048 it keeps up with 5,000/s. The etcd backend still cuts the creates
   * of one turn into transactions of 128.
   */
  maxInFlight?: number;
  /** How often a writer re-asserts an object's directory key (default 60 s). */
  directoryRefreshMs?: number;
  now?: () => number;
  logger?: Logger;
}

export const TRANSITION_LOG_DEFAULTS = {
  perActor: 200,
  perObject: 200,
  maxPending: 10_000,
  maxInFlight: 2048,
  directoryRefreshMs: 60_000,
} as const;

/** Counters since the writer started. */
export interface TransitionLogStats {
  /** Records written. */
  written: number;
  /** Records dropped because `maxPending` were already waiting (or the writer closed). */
  dropped: number;
  /** Records whose write failed. */
  failed: number;
  /** Old records deleted by trimming. */
  trimmed: number;
  /** Records waiting or in flight now. */
  pending: number;
}

interface Pending {
  key: string;
  value: string;
  /** The prefix whose count this write adds to (actor or Events of an object) and its bound. */
  trimPrefix: string;
  keep: number;
  object: ObjectRef;
  done?: () => void;
}

/** Most entries of the per-prefix and per-object memories; the oldest are forgotten first. */
const MAX_REMEMBERED = 100_000;
/** Deletes per transaction when trimming (under etcd's 128 ops). */
const DELETES_PER_TXN = 64;

export class TransitionLogWriter {
  private readonly store: Store;
  private readonly perActor: number;
  private readonly perObject: number;
  private readonly maxPending: number;
  private readonly maxInFlight: number;
  private readonly directoryRefreshMs: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly writerId = randomBytes(4).toString('hex');
  private counter = 0;
  private queue: Pending[] = [];
  private head = 0;
  private inFlight = 0;
  private closed = false;
  private readonly writesSinceTrim = new Map<string, number>();
  private readonly trimming = new Set<string>();
  private readonly directory = new Map<string, number>();
  private idleWaiters: (() => void)[] = [];
  private readonly counts = { written: 0, dropped: 0, failed: 0, trimmed: 0 };
  private lastFailureLog = 0;

  constructor(opts: TransitionLogOptions) {
    this.store = opts.store;
    this.perActor = Math.max(1, opts.perActor ?? TRANSITION_LOG_DEFAULTS.perActor);
    this.perObject = Math.max(1, opts.perObject ?? TRANSITION_LOG_DEFAULTS.perObject);
    this.maxPending = Math.max(1, opts.maxPending ?? TRANSITION_LOG_DEFAULTS.maxPending);
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? TRANSITION_LOG_DEFAULTS.maxInFlight);
    this.directoryRefreshMs = opts.directoryRefreshMs ?? TRANSITION_LOG_DEFAULTS.directoryRefreshMs;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  get stats(): TransitionLogStats {
    return { ...this.counts, pending: this.queue.length - this.head + this.inFlight };
  }

  /** Queue one transition (an InspectionBus listener: nothing to wait for). */
  enqueue(rec: TransitionRecord): void {
    const object: ObjectRef = { kind: rec.kind, namespace: rec.namespace ?? '', name: rec.name };
    const prefix = actorPrefix(object, rec.actor);
    this.push({ key: prefix + this.suffix(), value: encodeTransition(rec), trimPrefix: prefix, keep: this.perActor, object });
  }

  /** Append transitions in order; resolves once each is written, dropped or failed (a node's batch: backpressure). */
  append(recs: readonly TransitionRecord[]): Promise<void> {
    if (recs.length === 0) return Promise.resolve();
    let left = recs.length;
    return new Promise((resolve) => {
      const done = (): void => {
        if (--left === 0) resolve();
      };
      for (const rec of recs) {
        const object: ObjectRef = { kind: rec.kind, namespace: rec.namespace ?? '', name: rec.name };
        const prefix = actorPrefix(object, rec.actor);
        this.push({ key: prefix + this.suffix(), value: encodeTransition(rec), trimPrefix: prefix, keep: this.perActor, object, done });
      }
    });
  }

  /** Append a core/v1 Event as stored (after its create or count increment), under the object it is about. */
  appendEvent(event: KubeObject): Promise<void> {
    const involved = (event as { involvedObject?: { kind?: unknown; namespace?: unknown; name?: unknown } }).involvedObject;
    if (typeof involved?.kind !== 'string' || typeof involved.name !== 'string' || involved.kind === '' || involved.name === '') return Promise.resolve();
    const object: ObjectRef = { kind: involved.kind, namespace: typeof involved.namespace === 'string' ? involved.namespace : '', name: involved.name };
    const prefix = eventsPrefix(object);
    return new Promise((resolve) => {
      this.push({ key: prefix + this.suffix(), value: encodeEvent(new Date(this.now()).toISOString(), event), trimPrefix: prefix, keep: this.perObject, object, done: resolve });
    });
  }

  /** Resolves once nothing waits and nothing is in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === this.head && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop: what waits gets `graceMs` to be written, then is dropped; writes in flight finish. */
  async close(graceMs = 2_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (let i = this.head; i < this.queue.length; i++) {
      this.counts.dropped++;
      this.queue[i]!.done?.();
    }
    this.queue = [];
    this.head = 0;
    await this.idle();
  }

  private suffix(): string {
    return uniqueSuffix(this.now(), this.writerId, this.counter++);
  }

  private push(item: Pending): void {
    if (this.closed && this.queue.length === this.head && this.inFlight === 0) {
      this.counts.dropped++;
      item.done?.();
      return;
    }
    this.queue.push(item);
    while (this.queue.length - this.head > this.maxPending) {
      const oldest = this.queue[this.head++]!;
      this.counts.dropped++;
      oldest.done?.();
    }
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.head < this.queue.length) {
      const item = this.queue[this.head++]!;
      this.inFlight++;
      this.assertDirectory(item.object);
      this.store.create(item.key, item.value).then(
        () => {
          this.counts.written++;
          this.countWrite(item.trimPrefix, item.keep);
        },
        (err: unknown) => {
          this.counts.failed++;
          this.logFailure(err);
        },
      ).finally(() => {
        this.inFlight--;
        item.done?.();
        this.pump();
        this.checkIdle();
      });
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private checkIdle(): void {
    if (this.queue.length !== this.head || this.inFlight !== 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private assertDirectory(object: ObjectRef): void {
    const key = directoryKey(object);
    const at = this.directory.get(key);
    const now = this.now();
    if (at !== undefined && now - at < this.directoryRefreshMs) return;
    remember(this.directory, key, now);
    this.store.create(key, JSON.stringify(object)).catch((err: unknown) => {
      if (err instanceof KeyExistsError) return;
      this.directory.delete(key);
      this.logFailure(err);
    });
  }

  private countWrite(prefix: string, keep: number): void {
    const n = (this.writesSinceTrim.get(prefix) ?? 0) + 1;
    if (n < Math.max(1, Math.floor(keep / 4))) {
      remember(this.writesSinceTrim, prefix, n);
      return;
    }
    this.writesSinceTrim.delete(prefix);
    if (this.trimming.has(prefix)) return;
    this.trimming.add(prefix);
    void this.trim(prefix, keep)
      .catch((err: unknown) => this.logFailure(err))
      .finally(() => this.trimming.delete(prefix));
  }

  /** Delete all but the newest `keep` records under `prefix`. */
  private async trim(prefix: string, keep: number): Promise<void> {
    const { items } = await this.store.list(prefix);
    if (items.length <= keep) return;
    const oldest: KeyValue[] = [...items].sort((a, b) => a.modRevision - b.modRevision).slice(0, items.length - keep);
    for (let i = 0; i < oldest.length; i += DELETES_PER_TXN) {
      const ops = oldest.slice(i, i + DELETES_PER_TXN).map((kv) => ({ type: 'delete' as const, key: kv.key }));
      await this.store.txn([], ops);
      this.counts.trimmed += ops.length;
    }
  }

  private logFailure(err: unknown): void {
    const now = this.now();
    if (now - this.lastFailureLog < 10_000) return;
    this.lastFailureLog = now;
    this.log.warn({ err, stats: this.stats }, 'transition log write failed (logged at most every 10 s)');
  }
}

/** Set `key` last in insertion order, forgetting the oldest entry past MAX_REMEMBERED. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
}
