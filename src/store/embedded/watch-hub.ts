/**
 * Fan-out of durable change events to watchers.
 *
 * Each watcher has a queue. Registration fills it with replayed history; `publish` appends
 * matching live events; `flush` hands the whole queue to `onEvents` in one call. Because history
 * append and live publish happen in the same synchronous step, a watcher sees every event after
 * its start revision exactly once, in order. Handlers must not block: there is no backpressure,
 * a slow consumer buffers on its own side.
 *
 * Progress: every `progressIntervalMs`, watchers that received nothing since the previous tick
 * get `onProgress(durable revision)` (the API server turns it into a BOOKMARK).
 */
import { CompactedError } from '../errors.ts';
import type { Watch, WatchEvent, WatchHandler, WatchOptions } from '../types.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { History } from './history.ts';

class Watcher {
  queue: WatchEvent[] = [];
  closed = false;
  /** Set when events were delivered since the last progress tick. */
  active = false;

  constructor(
    readonly prefix: string,
    readonly exact: boolean,
    /** Deliver only revisions above this (a start revision may lie ahead of durable history). */
    readonly after: number,
    readonly handler: WatchHandler,
  ) {}

  wants(ev: WatchEvent): boolean {
    if (ev.kv.modRevision <= this.after) return false;
    return this.exact ? ev.kv.key === this.prefix : ev.kv.key.startsWith(this.prefix);
  }
}

export interface WatchHubConfig {
  clock: Clock;
  progressIntervalMs: number;
  /** Highest durable revision: what an idle watcher has seen everything up to. */
  durableRevision(): number;
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private progressTimer: TimerHandle | undefined;

  constructor(private readonly config: WatchHubConfig) {}

  /** Start a watch; history replay (or CompactedError) is delivered asynchronously. */
  add(prefix: string, opts: WatchOptions, handler: WatchHandler, history: History): Watch {
    const from = opts.fromRevision;
    const w = new Watcher(prefix, opts.exact ?? false, from ?? this.config.durableRevision(), handler);
    const handle: Watch = { close: () => this.remove(w) };
    if (from !== undefined && from < history.compactRevision) {
      const err = new CompactedError(from, history.compactRevision);
      queueMicrotask(() => handler.onError(err));
      return handle;
    }
    if (from !== undefined) for (const ev of history.since(from)) if (w.wants(ev)) w.queue.push(ev);
    this.watchers.add(w);
    if (w.queue.length > 0) queueMicrotask(() => this.flush(w));
    this.armProgress();
    return handle;
  }

  /** Deliver newly durable events to every matching watcher. */
  publish(events: WatchEvent[]): void {
    if (events.length === 0) return;
    for (const w of this.watchers) {
      for (const ev of events) if (w.wants(ev)) w.queue.push(ev);
      if (w.queue.length > 0) this.flush(w);
    }
  }

  /** End every watch with `err` (store closed or failed). */
  closeAll(err: Error): void {
    const all = [...this.watchers];
    this.watchers.clear();
    this.disarmProgress();
    for (const w of all) {
      w.closed = true;
      w.handler.onError(err);
    }
  }

  get size(): number {
    return this.watchers.size;
  }

  private remove(w: Watcher): void {
    w.closed = true;
    this.watchers.delete(w);
    if (this.watchers.size === 0) this.disarmProgress();
  }

  private flush(w: Watcher): void {
    if (w.closed || w.queue.length === 0) return;
    const events = w.queue;
    w.queue = [];
    w.active = true;
    try {
      w.handler.onEvents(events);
    } catch (err) {
      // A throwing handler ends its own watch, never the store or other watchers.
      this.remove(w);
      w.handler.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private armProgress(): void {
    if (this.progressTimer !== undefined || this.config.progressIntervalMs <= 0) return;
    this.progressTimer = this.config.clock.setTimer(() => this.tick(), this.config.progressIntervalMs);
  }

  private disarmProgress(): void {
    if (this.progressTimer === undefined) return;
    this.config.clock.clearTimer(this.progressTimer);
    this.progressTimer = undefined;
  }

  private tick(): void {
    this.progressTimer = undefined;
    const revision = this.config.durableRevision();
    for (const w of [...this.watchers]) {
      if (!w.active && w.queue.length === 0 && !w.closed) w.handler.onProgress?.(revision);
      w.active = false;
    }
    if (this.watchers.size > 0) this.armProgress();
  }
}
