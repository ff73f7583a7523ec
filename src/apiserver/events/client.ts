/**
 * One `/kactus/v1/events` connection. It starts in one of three ways:
 * - no `index`: the hub's snapshot (every actor's latest transition matching the filter) paced by
 *   the socket, `snapshot-end` at the hub's position, then live entries (those arriving during the
 *   snapshot wait behind it, within the buffer bound);
 * - `index` the hub's ring still covers: the ring's entries after it, then live;
 * - an older `index`: a watch of its own on the store from that index, until an entry newer than
 *   the hub's floor shows it has caught up; then the ring from where it is, then live. A store
 *   that compacted past the index ends it with 4410.
 * A resume is paced by the socket as the snapshot is: entries are taken from the ring (or the
 * store) while less than half the bound waits, then again once the socket drained (a store read
 * is closed meanwhile and reopened from the position), so a client far behind — one just closed
 * with 4429, or back after an outage — catches up at its own speed instead of being closed again.
 * Every entry is delivered once, in index order (`position` is the last index considered). What
 * the socket has not taken counts against `maxBufferedBytes`; past it a live client is closed
 * with 4429 and given `closeTimeoutMs` to read the close frame before the socket is destroyed,
 * so a slow reader never holds more than its bound for long.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Watch } from '../../store/types.ts';
import { CompactedError } from '../../store/errors.ts';
import type { LogEntry, LoggedTransition } from '../../registry/transition-log/entries.ts';
import { StreamFilter, type IndexSlot } from './filter.ts';
import type { EventHub, HubClient } from './hub.ts';
import { JSON_FRAMES, MSGPACK_FRAMES, snapshotMessage, wireFrame, type FrameEncoder, type WireFrame } from './messages.ts';
import type { StreamQuery } from './query.ts';
import { StatelyConverter } from './stately.ts';
import type { StreamAccess } from './access.ts';

export interface StreamClientOptions {
  hub: EventHub;
  ws: WebSocket;
  /** The upgraded socket under `ws` (corked while a batch of frames is written). */
  socket: Duplex;
  query: StreamQuery;
  /** Bytes the server may hold for this client (its socket's buffer included). */
  maxBufferedBytes: number;
  /** After a close, how long the client has to read it before the socket is destroyed. */
  closeTimeoutMs: number;
  /** `format=stately`: a machine kind's definition as JSON. */
  definitionOf?: (machineKind: string) => string | undefined;
  onClosed?: (code: number) => void;
  /** What the user may see (access.ts); absent: everything (system:masters, or no authorizer). */
  access?: StreamAccess;
}

type State = 'starting' | 'snapshot' | 'catching-up' | 'live' | 'closed';

export class StreamClient implements HubClient {
  readonly slot: IndexSlot;
  private state: State = 'starting';
  private position = -1;
  private readonly filter: StreamFilter;
  private readonly encoder: FrameEncoder | undefined;
  private readonly stately: StatelyConverter | undefined;
  private pending: WireFrame[] = [];
  private pendingBytes = 0;
  /** Live frames that arrived while the snapshot was being written. */
  private deferred: WireFrame[] = [];
  private deferredBytes = 0;
  private catchUp: Watch | undefined;
  /** Bumped whenever a store read ends: deliveries of an older read are ignored. */
  private readGeneration = 0;
  private closeTimer: NodeJS.Timeout | undefined;
  /**
   * Entries waiting for an access decision the authorizer answers asynchronously, in index order
   * (every later entry waits behind them, so order holds). Empty with a synchronous authorizer.
   */
  private held: { entry: LogEntry; defer: boolean }[] = [];

  constructor(private readonly opts: StreamClientOptions) {
    this.filter = new StreamFilter(opts.query);
    this.slot = this.filter.slot;
    if (opts.query.format === 'stately') this.stately = new StatelyConverter(opts.definitionOf);
    else this.encoder = opts.query.format === 'msgpack' ? MSGPACK_FRAMES : JSON_FRAMES;
    opts.ws.on('close', (code) => {
      clearTimeout(this.closeTimer);
      this.stop();
      opts.onClosed?.(code);
    });
    opts.ws.on('error', () => this.close(1011, 'error'));
    // Nothing is read from clients; a message is not an error.
    opts.ws.on('message', () => undefined);
  }

  /** Waits for the hub, then starts as the query asks. */
  async start(): Promise<void> {
    const { hub, query } = this.opts;
    try {
      await hub.ready();
    } catch {
      return this.close(1011, 'the log cannot be read now');
    }
    if (this.state === 'closed') return;
    hub.attach(this);
    if (query.index === undefined) {
      // Every (kind, namespace) the snapshot shows is decided before it is written.
      const access = this.opts.access;
      if (access) {
        await access.prepare(hub.snapshot());
        if ((this.state as State) === 'closed') return;
      }
      return this.startWithSnapshot();
    }
    this.position = query.index;
    this.state = 'catching-up';
    this.catchUpStep();
  }

  offer(entry: LogEntry): void {
    if (this.state === 'live') this.deliver(entry);
    else if (this.state === 'snapshot') this.deliver(entry, true);
  }

  heartbeat(): void {
    if (this.state === 'closed' || this.state === 'starting') return;
    if (this.stately) {
      this.opts.ws.ping();
      return;
    }
    if (this.state === 'snapshot' || this.held.length) return;
    const index = this.state === 'live' ? Math.max(this.position, this.opts.hub.position) : this.position;
    this.push(this.encoder!.encode({ type: 'heartbeat', index }));
  }

  end(code: number, reason: string): void {
    this.close(code, reason);
  }

  /** Close with `code` (the close frame follows what is already buffered), then destroy after the timeout. */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.stop();
    const { ws } = this.opts;
    try {
      if (ws.readyState === ws.OPEN) ws.close(code, reason);
    } catch {
      ws.terminate();
    }
    this.closeTimer = setTimeout(() => ws.terminate(), this.opts.closeTimeoutMs);
    this.closeTimer.unref();
  }

  /**
   * Writes what waits, in one corked batch (one TLS write). The frames are whole WebSocket
   * frames, shared between clients, written to the upgraded socket under `ws`: `ws` itself only
   * writes its own control frames (ping, close) there, each whole, and nothing is written after
   * the close (this client stops first), so frames never interleave.
   */
  flush(): void {
    if (this.state === 'closed' || this.pending.length === 0) return;
    const { ws, socket } = this.opts;
    const frames = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (ws.readyState !== ws.OPEN) return;
    socket.cork();
    try {
      for (const f of frames) socket.write(f);
    } finally {
      socket.uncork();
    }
  }

  private stop(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.opts.hub.detach(this);
    this.endStoreRead();
    this.pending = [];
    this.deferred = [];
    this.held = [];
    this.opts.hub.rounds.forget(this);
  }

  private startWithSnapshot(): void {
    const { hub } = this.opts;
    const labelsOf = hub.labelsOf.bind(hub);
    const access = this.opts.access;
    // An actor that appeared during the decisions above and whose access is not known yet is left out (the stream shows its next transition).
    let items = hub.snapshot().filter((e) => this.filter.matches(e, labelsOf) && (!access || access.visible(e) === true));
    if (this.stately) items = items.sort((a, b) => depth(a) - depth(b) || a.index - b.index);
    this.position = hub.position;
    this.state = 'snapshot';
    this.writeSnapshot(items, 0);
  }

  /** The snapshot in slices, each when the socket has room: a large cluster's never counts against the bound. */
  private writeSnapshot(items: LoggedTransition[], from: number): void {
    if (this.state !== 'snapshot') return;
    let i = from;
    while (i < items.length && this.hasRoom()) {
      const entry = items[i++]!;
      if (this.stately) for (const m of this.stately.snapshot(entry)) this.push(wireFrame(m, false));
      else this.push(this.encoder!.encode(snapshotMessage(entry)));
    }
    if (i < items.length) return this.whenRoom(() => this.writeSnapshot(items, i));
    if (this.encoder) this.push(this.encoder.encode({ type: 'snapshot-end', index: this.position }));
    this.state = 'live';
    const deferred = this.deferred;
    this.deferred = [];
    this.deferredBytes = 0;
    for (const f of deferred) this.push(f);
  }

  /** Room for more of a snapshot or a resume: less than half the bound waits for the socket. */
  private hasRoom(): boolean {
    if (this.held.length) return false;
    return this.pendingBytes + this.opts.ws.bufferedAmount < this.opts.maxBufferedBytes / 2;
  }

  /** Writes what waits, then calls `next` once the socket has room again. */
  private whenRoom(next: () => void): void {
    this.flush();
    const { socket } = this.opts;
    if (this.hasRoom()) setImmediate(next);
    else if (socket.writableNeedDrain) socket.once('drain', next);
    // Held below the socket's high-water mark (a bound smaller than it): look again shortly.
    else setTimeout(next, 10).unref();
  }

  /** One step of a resume: the ring when it covers the position, else the store; live once nothing is left. */
  private catchUpStep(): void {
    if (this.state !== 'catching-up') return;
    const outcome = this.opts.hub.replay(this.position, (entry) => {
      if (!this.hasRoom()) return false;
      this.deliver(entry);
      return this.state === 'catching-up';
    });
    if (this.state !== 'catching-up') return;
    if (outcome === 'done') {
      this.state = 'live';
      return;
    }
    if (outcome === 'stopped') return this.whenRoom(() => this.catchUpStep());
    this.readStore();
  }

  /** Catch-up from the store: a watch from the position until the ring covers it, or until the socket is full (then a new one later). */
  private readStore(): void {
    const { hub } = this.opts;
    const generation = ++this.readGeneration;
    const current = (): boolean => this.readGeneration === generation && this.state === 'catching-up';
    const watch = hub.source.read(this.position, {
      onEntries: (entries) => {
        for (const entry of entries) {
          if (!current()) return;
          if (entry.index <= this.position) continue;
          if (!this.hasRoom()) {
            this.endStoreRead();
            return this.whenRoom(() => this.catchUpStep());
          }
          this.deliver(entry);
          if (hub.covers(this.position)) {
            this.endStoreRead();
            return this.catchUpStep();
          }
        }
      },
      onError: (err) => {
        if (!current()) return;
        this.close(err instanceof CompactedError ? 4410 : 1011, err instanceof CompactedError ? 'expired, relist' : 'the log cannot be read now');
      },
    });
    // A store may deliver (and this read end) before watch() returns.
    if (current()) this.catchUp = watch;
    else watch.close();
  }

  private endStoreRead(): void {
    this.readGeneration++;
    this.catchUp?.close();
    this.catchUp = undefined;
  }

  private deliver(entry: LogEntry, defer = false): void {
    if (entry.index <= this.position) return;
    this.position = entry.index;
    if (!this.filter.matches(entry, (o) => this.opts.hub.labelsOf(o))) return;
    const access = this.opts.access;
    if (access) {
      if (this.held.length) return this.hold(entry, defer);
      const visible = access.visible(entry);
      if (visible === false) return;
      if (visible === undefined) return this.hold(entry, defer);
    }
    this.emit(entry, defer);
  }

  /** Keeps `entry` until its access is decided; then everything held goes out in order. */
  private hold(entry: LogEntry, defer: boolean): void {
    this.held.push({ entry, defer });
    if (this.held.length > 1) return;
    void this.opts.access!.whenDecided().then(() => this.release());
  }

  private release(): void {
    const access = this.opts.access!;
    while (this.held.length && this.state !== 'closed') {
      const { entry, defer } = this.held[0]!;
      const visible = access.visible(entry);
      if (visible === undefined) {
        void access.whenDecided().then(() => this.release());
        return;
      }
      this.held.shift();
      // A snapshot that ended meanwhile makes deferred entries live ones.
      if (visible) this.emit(entry, defer && this.state === 'snapshot');
    }
  }

  private emit(entry: LogEntry, defer: boolean): void {
    const frames: WireFrame[] = this.stately ? (entry.type === 'transition' ? this.stately.transition(entry).map((m) => wireFrame(m, false)) : []) : [this.encoder!.entry(entry)];
    for (const f of frames) {
      if (defer) {
        this.deferred.push(f);
        this.deferredBytes += f.length;
        const held = this.deferredBytes + this.pendingBytes + this.opts.ws.bufferedAmount;
        this.opts.hub.noteBuffered(held);
        if (held > this.opts.maxBufferedBytes) return this.close(4429, 'slow consumer');
      } else {
        this.push(f);
      }
    }
  }

  private push(frame: WireFrame): void {
    if (this.state === 'closed') return;
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    const held = this.pendingBytes + this.opts.ws.bufferedAmount + this.deferredBytes;
    this.opts.hub.noteBuffered(held);
    if (held > this.opts.maxBufferedBytes) return this.close(4429, 'slow consumer');
    this.opts.hub.rounds.schedule(this);
  }
}

function depth(e: LoggedTransition): number {
  return e.record.actor === '' ? 0 : e.record.actor.split('/').length;
}
