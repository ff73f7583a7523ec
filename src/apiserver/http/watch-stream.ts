/**
 * Streams watch events to one HTTP client: chunked `application/json`, one
 * `{"type":...,"object":...}` per line.
 *
 * Events arrive synchronously from the registry; each is serialized and handed to the socket at
 * once. What the socket has not yet taken is this watch's buffer, bounded by
 * `maxPendingEvents` events and `maxPendingBytes` bytes. A client that lets either bound fill
 * has fallen too far behind: its stream is ended (it re-watches from its last resourceVersion,
 * or re-lists if that has been compacted), so one slow reader cannot grow the server's memory.
 */
import type { ServerResponse } from 'node:http';
import type { WatchEvent } from '../../registry/types.ts';
import { toApiError, writeError } from './respond.ts';

export interface WatchStreamLimits {
  /** Events written but not yet flushed to the socket. */
  maxPendingEvents: number;
  /** Bytes buffered in the response beyond what the socket has taken. */
  maxPendingBytes: number;
}

export const DEFAULT_WATCH_LIMITS: WatchStreamLimits = { maxPendingEvents: 1000, maxPendingBytes: 16 * 1024 * 1024 };

/** The longest delay a Node timer keeps. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export type WatchStreamEnd = 'timeout' | 'client-closed' | 'slow-client' | 'error-event' | 'server-closing' | 'failed';

export class WatchStream {
  private pendingEvents = 0;
  /** open() was called: events from now on are live, and count against the bounds. */
  private live = false;
  /** Bytes of the initial replay (before open) not yet taken by the socket: allowed on top of maxPendingBytes. */
  private replayBytes = 0;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly render: (event: WatchEvent) => unknown,
    private readonly limits: WatchStreamLimits,
    /** Called once when the stream ends, whatever the reason. */
    private readonly onEnd: (reason: WatchStreamEnd) => void,
  ) {
    res.on('close', () => this.end('client-closed'));
  }

  /** Sends the 200 and headers now (clients wait for them before reading events). */
  open(timeoutMs: number): void {
    if (this.ended) return;
    this.ensureHeaders();
    this.res.flushHeaders();
    this.live = true;
    // A timer longer than 2^31-1 ms fires at once (Node clamps it to 1 ms): `timeoutSeconds=99999999`
    // ended the watch immediately (found by the API fuzzer). 24.8 days is forever enough.
    this.timer = setTimeout(() => this.end('timeout'), Math.min(timeoutMs, MAX_TIMER_MS));
    this.timer.unref();
  }

  /** Writes one event; ends the stream after an ERROR event or when the client is too slow. */
  send(event: WatchEvent): void {
    if (this.ended) return;
    this.ensureHeaders();
    const line = `${JSON.stringify({ type: event.type, object: this.render(event) })}\n`;
    if (!this.live) {
      // The initial replay (`resourceVersion` unset or 0) is written in one go, before the client
      // could read any of it: it is as large as the collection, not a sign of a slow reader. Counted
      // against the bounds, a collection past 1,000 objects closed every such watch at once
      // (found by the API fuzzer). Its bytes are allowed on top of the bound until they are taken.
      const bytes = Buffer.byteLength(line);
      this.replayBytes += bytes;
      this.res.write(line, () => {
        this.replayBytes -= bytes;
      });
      if (event.type === 'ERROR') this.end('error-event');
      return;
    }
    this.pendingEvents++;
    this.res.write(line, () => {
      this.pendingEvents--;
    });
    if (event.type === 'ERROR') this.end('error-event');
    else if (this.pendingEvents > this.limits.maxPendingEvents || this.res.writableLength > this.limits.maxPendingBytes + this.replayBytes) this.end('slow-client');
  }

  /**
   * The watch could not start or continue: a Status response when nothing was streamed yet,
   * else an ERROR event carrying the Status.
   */
  fail(err: unknown): void {
    if (this.ended) return;
    if (this.res.headersSent) {
      this.send({ type: 'ERROR', object: toApiError(err).toStatus() });
      return;
    }
    this.ended = true;
    clearTimeout(this.timer);
    writeError(this.res, err);
    this.onEnd('failed');
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Ends the stream (idempotent). */
  end(reason: WatchStreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    if (reason === 'slow-client' || reason === 'client-closed') this.res.destroy();
    else this.res.end();
    this.onEnd(reason);
  }

  private ensureHeaders(): void {
    if (this.res.headersSent) return;
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  }
}
