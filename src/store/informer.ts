/**
 * Informer: a local, always-converging copy of one key prefix (list, then watch from the list's
 * revision), with add/update/delete handlers. The building block of every controller, the
 * scheduler and the actor host, as client-go's shared informer is for Kubernetes.
 *
 * - Level-triggered: after a watch error (compaction, store restart) it re-lists and reports the
 *   difference (deletes for keys that vanished, updates for keys that changed), so a handler
 *   that missed events still converges.
 * - `resync()` replays every cached object to `onUpdate` (with old === new) for periodic
 *   reconciliation.
 * - Handlers run synchronously in revision order; a handler that throws is reported through
 *   `onHandlerError` and does not stop the informer.
 */
import type { KeyValue, Store, Watch, WatchEvent } from './types.ts';

export interface InformerHandlers<T> {
  onAdd?(obj: T, key: string): void;
  onUpdate?(oldObj: T, newObj: T, key: string): void;
  onDelete?(obj: T, key: string): void;
}

export interface InformerOptions<T> {
  store: Store;
  prefix: string;
  decode(kv: KeyValue): T;
  handlers?: InformerHandlers<T>;
  /** Delay before re-listing after a watch failure, in ms (default 200). */
  relistDelayMs?: number;
  onHandlerError?(err: unknown): void;
}

export class Informer<T> {
  private readonly cache = new Map<string, { obj: T; modRevision: number }>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private watch: Watch | undefined;
  private stopped = false;
  private revision = 0;
  private relistTimer: NodeJS.Timeout | undefined;
  private readonly synced: Promise<void>;
  private markSynced!: () => void;
  private started: Promise<void> | undefined;

  constructor(private readonly opts: InformerOptions<T>) {
    if (opts.handlers) this.handlers.push(opts.handlers);
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  /** Add handlers; the new handlers get onAdd for everything already cached. */
  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
    for (const [key, { obj }] of this.cache) this.call(() => h.onAdd?.(obj, key));
  }

  /** Stop calling `h` (the handlers object given to the constructor or to addHandlers). */
  removeHandlers(h: InformerHandlers<T>): void {
    const i = this.handlers.indexOf(h);
    if (i >= 0) this.handlers.splice(i, 1);
  }

  /** List and start watching. Resolves once the first list is in the cache. Idempotent. */
  start(): Promise<void> {
    this.started ??= this.relist().then(() => this.synced);
    return this.started;
  }

  /** Resolves after the first successful list. */
  hasSynced(): Promise<void> {
    return this.synced;
  }

  get(key: string): T | undefined {
    return this.cache.get(key)?.obj;
  }

  list(): T[] {
    return [...this.cache.values()].map((e) => e.obj);
  }

  entries(): [string, T][] {
    return [...this.cache].map(([k, e]) => [k, e.obj]);
  }

  /** The store revision the cache reflects. */
  get lastRevision(): number {
    return this.revision;
  }

  /** Replay every cached object to onUpdate(obj, obj): periodic level-triggered reconciliation. */
  resync(): void {
    for (const [key, { obj }] of this.cache) this.emit((h) => h.onUpdate?.(obj, obj, key));
  }

  stop(): void {
    this.stopped = true;
    this.watch?.close();
    if (this.relistTimer) clearTimeout(this.relistTimer);
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    this.watch?.close();
    let listed;
    try {
      listed = await this.opts.store.list(this.opts.prefix);
    } catch (err) {
      this.scheduleRelist(err);
      return;
    }
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const kv of listed.items) {
      seen.add(kv.key);
      this.apply({ type: 'put', kv });
    }
    for (const [key, entry] of [...this.cache]) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit((h) => h.onDelete?.(entry.obj, key));
      }
    }
    this.revision = listed.revision;
    this.markSynced();
    this.watch = this.opts.store.watch(
      this.opts.prefix,
      { fromRevision: listed.revision },
      {
        onEvents: (events) => {
          for (const ev of events) {
            this.apply(ev);
            this.revision = Math.max(this.revision, ev.kv.modRevision);
          }
        },
        onError: (err) => this.scheduleRelist(err),
        onProgress: (rev) => {
          this.revision = Math.max(this.revision, rev);
        },
      },
    );
  }

  private scheduleRelist(err: unknown): void {
    if (this.stopped) return;
    this.opts.onHandlerError?.(err);
    this.relistTimer = setTimeout(() => void this.relist(), this.opts.relistDelayMs ?? 200);
  }

  private apply(ev: WatchEvent): void {
    const key = ev.kv.key;
    const old = this.cache.get(key);
    if (ev.type === 'delete') {
      if (!old) return;
      this.cache.delete(key);
      this.emit((h) => h.onDelete?.(old.obj, key));
      return;
    }
    if (old && old.modRevision >= ev.kv.modRevision) return; // already seen (relist overlap)
    let obj: T;
    try {
      obj = this.opts.decode(ev.kv);
    } catch (err) {
      this.opts.onHandlerError?.(err);
      return;
    }
    this.cache.set(key, { obj, modRevision: ev.kv.modRevision });
    if (old) this.emit((h) => h.onUpdate?.(old.obj, obj, key));
    else this.emit((h) => h.onAdd?.(obj, key));
  }

  private emit(fn: (h: InformerHandlers<T>) => void): void {
    for (const h of this.handlers) this.call(() => fn(h));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.onHandlerError?.(err);
    }
  }
}
