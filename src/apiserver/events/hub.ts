/**
 * One per API server: the transition log's single store watch, fanned out to every connected
 * stream client. It keeps
 * - every actor's latest transition (what a new client's snapshot is), read once from the store at
 *   start (the whole log at one revision) and kept current by the watch;
 * - the last `ringSize` entries (what a client resuming from a recent index is served from);
 * - its clients indexed by their most selective filter (filter.ts), so an entry is offered only to
 *   clients that may want it.
 * A resuming client older than the ring reads the store itself (client.ts) and joins the hub once
 * it has caught up. If the hub's own watch fails (the store compacted past it, or closed), every
 * client is closed with 4410 and the hub starts afresh for the next one.
 *
 * The main thread's hub reads the store (log-source.ts); a stream worker's hub follows the main
 * thread's (`follow`, workers/README.md): the same class, the log watched once per server.
 */
import pino, { type Logger } from 'pino';
import { actorKeyOf, type LogEntry, type LoggedTransition } from '../../registry/transition-log/entries.ts';
import { parseRecordKey, type ObjectRef } from '../../registry/transition-log/keys.ts';
import type { LogFollower, LogSource, LogStart } from './log-source.ts';
import { objectOf, type IndexSlot } from './filter.ts';
import { FlushRounds } from './flush-rounds.ts';

/** What the hub needs of a client. */
export interface HubClient {
  readonly slot: IndexSlot;
  /** An entry after the client's position, in index order (only while the client is live). */
  offer(entry: LogEntry): void;
  /** Periodic: send a heartbeat. */
  heartbeat(): void;
  /** The hub is gone: close with 4410 (or 1001 when the server stops). */
  end(code: number, reason: string): void;
}

/** A follower of a hub (a stream worker's hub, through the main thread's port). */
export interface HubFollower extends LogFollower {
  onStart(revision: number, latest: LoggedTransition[]): void;
}

export interface EventHubOptions {
  /** Where the log is read: the store (`storeLogSource`), or the main thread's hub (a worker's). */
  source: LogSource;
  /** Entries kept in memory for resuming clients (default 20,000). */
  ringSize?: number;
  /** Heartbeat period (default 10 s). */
  heartbeatMs?: number;
  /** Live clients' frames are written in rounds at most this often (default 15 ms; 0: every turn). flush-rounds.ts */
  flushIntervalMs?: number;
  logger?: Logger;
}

export class EventHub {
  private readonly ringSize: number;
  private readonly heartbeatMs: number;
  private readonly log: Logger;
  private starting: Promise<void> | undefined;
  private following: LogStart | undefined;
  /** Hubs that follow this one (stream workers'): told every change after their start. */
  private readonly followers = new Set<LogFollower>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Latest transition per actor (actorKeyOf). */
  private latest = new Map<string, LoggedTransition>();
  /** Ring of recent entries: `ring[(start + i) % size]`, i < count. */
  private ring: LogEntry[] = [];
  private ringStart = 0;
  private ringCount = 0;
  private _position = 0;
  private _floor = 0;
  private highWater = 0;
  private readonly all = new Set<HubClient>();
  private readonly byDimension = { name: new Map<string, Set<HubClient>>(), namespace: new Map<string, Set<HubClient>>(), kind: new Map<string, Set<HubClient>>() };
  private readonly clients = new Set<HubClient>();
  /** When the live clients' frames are written. */
  readonly rounds: FlushRounds;

  constructor(private readonly opts: EventHubOptions) {
    this.ringSize = Math.max(1, opts.ringSize ?? 20_000);
    this.heartbeatMs = opts.heartbeatMs ?? 10_000;
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.rounds = new FlushRounds(Math.max(0, opts.flushIntervalMs ?? 15));
  }

  get source(): LogSource {
    return this.opts.source;
  }

  /** Every log entry with index <= position has been applied (snapshot-end, heartbeats). */
  get position(): number {
    return this._position;
  }

  /** Every log entry with index > floor is in the ring or still to come from the watch. */
  get floor(): number {
    return this._floor;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** The most bytes the server held for one client at any time (its bound is the limit plus one frame). */
  get bufferedHighWater(): number {
    return this.highWater;
  }

  /** A client's buffered bytes now (clients report after each frame they queue). */
  noteBuffered(bytes: number): void {
    if (bytes > this.highWater) this.highWater = bytes;
  }

  /** Starts (once) the hub: reads every actor's latest transition, then watches the log. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('event hub closed'));
    this.starting ??= this.start().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async start(): Promise<void> {
    // A follow that fails or ends before it started changes nothing here (`current`); changes
    // told before the start is applied (a source may tell them early) wait for it.
    let current = true;
    let early: (() => void)[] | undefined = [];
    const when = (change: () => void): void => {
      if (!current) return;
      if (early) early.push(change);
      else change();
    };
    const start = await this.opts.source.follow({
      onEntries: (entries) => when(() => this.apply(entries)),
      onDeleted: (keys) => when(() => this.forget(keys)),
      onProgress: (rev) => when(() => this.progress(rev)),
      onError: (err) => {
        if (!current) return;
        current = false;
        this.fail(err);
      },
    });
    if (this.closed || !current) {
      current = false;
      start.stop();
      if (!this.closed) throw new Error('the log could not be followed');
      return;
    }
    const { revision, latest } = start;
    this.latest = latest;
    this.ring = [];
    this.ringStart = 0;
    this.ringCount = 0;
    this._position = revision;
    this._floor = revision;
    this.following = {
      ...start,
      stop: () => {
        current = false;
        start.stop();
      },
    };
    const waiting = early;
    early = undefined;
    for (const change of waiting) change();
    this.timer ??= setInterval(() => {
      for (const c of this.clients) c.heartbeat();
    }, this.heartbeatMs);
    this.timer.unref();
  }

  /**
   * A stream worker's hub follows this one: `onStart` at once with every actor's latest
   * transition now, then every change after it, in order, until the returned stop (or the hub
   * fails or closes: `onError`).
   */
  async follow(follower: HubFollower): Promise<() => void> {
    await this.ready();
    if (this.closed) throw new Error('event hub closed');
    follower.onStart(this._position, [...this.latest.values()]);
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  /** Every actor's latest transition, ascending index. */
  snapshot(): LoggedTransition[] {
    return [...this.latest.values()].sort((a, b) => a.index - b.index);
  }

  /** The labels of an object's own actor as last seen (Events are matched against them). */
  labelsOf(o: ObjectRef): Record<string, string> | undefined {
    return this.latest.get(`${o.kind}/${o.namespace}/${o.name}/`)?.record.labels;
  }

  /** Whether every entry after `index` is in the ring or still to come (a resume the hub serves itself). */
  covers(index: number): boolean {
    return index >= this._floor;
  }

  /**
   * Ring entries with index > after, in order, while `take` accepts them: `done` when every one
   * was taken, `stopped` when `take` returned false (the entry it refused was not taken), and
   * `uncovered` when `after` is below the floor (the ring does not hold what follows it).
   */
  replay(after: number, take: (entry: LogEntry) => boolean): 'done' | 'stopped' | 'uncovered' {
    if (after < this._floor) return 'uncovered';
    let i = this.firstAfter(after);
    for (; i < this.ringCount; i++) {
      if (!take(this.ring[(this.ringStart + i) % this.ringSize]!)) return 'stopped';
    }
    return 'done';
  }

  /** The ring position of the first entry with index > after (a binary search: indexes ascend). */
  private firstAfter(after: number): number {
    let lo = 0;
    let hi = this.ringCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[(this.ringStart + mid) % this.ringSize]!.index > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  attach(client: HubClient): void {
    this.clients.add(client);
    const slot = client.slot;
    if (slot.dimension === 'all') {
      this.all.add(client);
      return;
    }
    const index = this.byDimension[slot.dimension];
    for (const v of slot.values) {
      let set = index.get(v);
      if (!set) index.set(v, (set = new Set()));
      set.add(client);
    }
  }

  detach(client: HubClient): void {
    if (!this.clients.delete(client)) return;
    const slot = client.slot;
    if (slot.dimension === 'all') {
      this.all.delete(client);
      return;
    }
    const index = this.byDimension[slot.dimension];
    for (const v of slot.values) {
      const set = index.get(v);
      set?.delete(client);
      if (set?.size === 0) index.delete(v);
    }
  }

  /** Stop: every client gets `code` (1001 when the server stops). */
  close(code = 1001, reason = 'server stopping'): void {
    this.closed = true;
    this.stopWatching();
    this.endFollowers(new Error('event hub closed'));
    for (const c of [...this.clients]) c.end(code, reason);
    this.clients.clear();
  }

  private stopWatching(): void {
    this.following?.stop();
    this.following = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private fail(err: Error): void {
    this.log.warn({ err }, 'event stream: the log watch ended; clients must relist');
    this.stopWatching();
    this.starting = undefined;
    this.endFollowers(err);
    for (const c of [...this.clients]) c.end(4410, 'expired, relist');
  }

  private endFollowers(err: Error): void {
    const followers = [...this.followers];
    this.followers.clear();
    for (const f of followers) f.onError(err);
  }

  private apply(entries: LogEntry[]): void {
    let fresh: LogEntry[] | undefined;
    for (const entry of entries) {
      if (entry.index <= this._position) continue;
      if (entry.type === 'transition') this.latest.set(actorKeyOf(entry.record), entry);
      this.remember(entry);
      this._position = entry.index;
      if (this.followers.size) (fresh ??= []).push(entry);
      this.dispatch(entry);
    }
    if (fresh) for (const f of this.followers) f.onEntries(fresh);
  }

  private progress(revision: number): void {
    if (revision <= this._position) return;
    this._position = revision;
    for (const f of this.followers) f.onProgress(revision);
  }

  private remember(entry: LogEntry): void {
    if (this.ringCount < this.ringSize) {
      this.ring[(this.ringStart + this.ringCount) % this.ringSize] = entry;
      this.ringCount++;
      return;
    }
    this._floor = this.ring[this.ringStart]!.index;
    this.ring[this.ringStart] = entry;
    this.ringStart = (this.ringStart + 1) % this.ringSize;
  }

  private dispatch(entry: LogEntry): void {
    for (const c of this.all) c.offer(entry);
    const o = objectOf(entry);
    for (const c of this.byDimension.kind.get(o.kind) ?? []) c.offer(entry);
    for (const c of this.byDimension.namespace.get(o.namespace) ?? []) c.offer(entry);
    for (const c of this.byDimension.name.get(o.name) ?? []) c.offer(entry);
  }

  /** Deleted records: an actor whose latest record went (its object's history was swept) leaves the snapshot. */
  private forget(keys: string[]): void {
    for (const f of this.followers) f.onDeleted(keys);
    for (const key of keys) {
      const parsed = parseRecordKey(key);
      if (parsed?.type !== 'transition') continue;
      const actorKey = actorKeyOf(parsed);
      if (this.latest.get(actorKey)?.key === key) this.latest.delete(actorKey);
    }
  }
}
