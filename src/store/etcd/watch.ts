/**
 * One Store watch = one etcd gRPC watch stream. etcd3's own Watcher is not used: it drops the
 * compact revision of a canceled watch (needed for CompactedError) and shares a stream whose
 * loss we could not tell apart per watch. Here each watch owns its stream, remembers the last
 * revision it delivered, and after a lost connection re-creates the stream from the next
 * revision (on whichever member answers), so events arrive in order, each exactly once.
 */
import { EtcdWatchStreamEnded, type Etcd3, type IDuplexStream, type IWatchRequest, type IWatchResponse } from 'etcd3';
import { CompactedError, StoreUnavailableError } from '../errors.ts';
import type { Watch, WatchHandler } from '../types.ts';
import { int, toWatchEvent } from './codec.ts';
import { etcdRevisionAfter, storeRevision } from './revisions.ts';
import { isUnavailable, toStoreError } from './errors.ts';

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

export interface EtcdWatchRange {
  key: Buffer;
  /** Exclusive end of a prefix range; absent for a single key. */
  rangeEnd?: Buffer;
  /** Ask etcd for each event's previous value (WatchOptions.withoutPrevious: not). */
  previous: boolean;
}

export interface EtcdWatchTimings {
  /** First reconnect delay; doubles up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** Give up (onError StoreUnavailableError) after failing to reconnect for this long. */
  giveUpAfterMs: number;
}

export class EtcdWatch implements Watch {
  private stream: WatchStream | undefined;
  /** Every event with a (store) revision <= this has been delivered. */
  private lastRevision: number;
  private finished = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelayMs: number;
  private failingSince: number | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly range: EtcdWatchRange,
    fromRevision: number,
    private readonly handler: WatchHandler,
    private readonly timings: EtcdWatchTimings,
    /** Called once when the watch ends for any reason, so the store forgets it. */
    private readonly onFinished: (watch: EtcdWatch) => void,
  ) {
    this.lastRevision = fromRevision;
    this.retryDelayMs = timings.retryDelayMs;
    this.connect();
  }

  close(): void {
    this.finish();
  }

  /** End the watch with an error delivered to the handler (store closed, compacted, ...). */
  fail(err: Error): void {
    if (this.finished) return;
    this.finish();
    deliver(() => this.handler.onError(err));
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.retryTimer);
    this.dropStream();
    this.onFinished(this);
  }

  private connect(): void {
    this.client.watchClient.watch().then(
      (stream) => this.attach(stream),
      (err: unknown) => this.onStreamFailure(undefined, err),
    );
  }

  private attach(stream: WatchStream): void {
    if (this.finished) {
      closeStream(stream);
      return;
    }
    this.stream = stream;
    stream.on('data', (res) => this.onResponse(stream, res));
    stream.on('error', (err) => this.onStreamFailure(stream, err));
    stream.on('end', () => this.onStreamFailure(stream, new EtcdWatchStreamEnded()));
    stream.write({
      create_request: {
        key: this.range.key,
        ...(this.range.rangeEnd ? { range_end: this.range.rangeEnd } : {}),
        // Also after a reconnect: resume right after the last delivered revision. That may be
        // inside an etcd revision (grouped writes), whose delivered events are skipped below.
        start_revision: etcdRevisionAfter(this.lastRevision),
        prev_kv: this.range.previous,
        progress_notify: true,
      },
    });
  }

  private onResponse(stream: WatchStream, res: IWatchResponse): void {
    if (stream !== this.stream || this.finished) return;
    if (res.canceled) {
      const compactRevision = int(res.compact_revision);
      this.fail(
        compactRevision > 0
          ? new CompactedError(this.lastRevision, storeRevision(compactRevision))
          : new StoreUnavailableError(`etcd canceled the watch: ${res.cancel_reason}`),
      );
      return;
    }
    this.failingSince = undefined;
    this.retryDelayMs = this.timings.retryDelayMs;
    if (res.created) return;
    const headerRevision = storeRevision(int(res.header.revision));
    if (res.events.length === 0) {
      // A progress notification: etcd has sent this watcher everything up to the header revision.
      // (A watch that starts ahead of the store may hear of an older one: never report backwards.)
      if (headerRevision < this.lastRevision) return;
      this.lastRevision = headerRevision;
      deliver(() => this.handler.onProgress?.(headerRevision));
      return;
    }
    // A response holds whole etcd revisions; order the writes inside one by their store revision.
    const all = res.events.map(toWatchEvent).sort((a, b) => a.kv.modRevision - b.kv.modRevision);
    // Resuming inside an etcd revision (or across a reconnect): never deliver a revision twice.
    const events = all.filter((event) => event.kv.modRevision > this.lastRevision);
    this.lastRevision = events.at(-1)?.kv.modRevision ?? this.lastRevision;
    if (events.length > 0) deliver(() => this.handler.onEvents(events));
  }

  private onStreamFailure(stream: WatchStream | undefined, err: unknown): void {
    if (stream !== this.stream || this.finished) return;
    this.dropStream();
    if (!(err instanceof EtcdWatchStreamEnded) && !isUnavailable(err)) {
      const mapped = toStoreError(err);
      this.fail(mapped instanceof Error ? mapped : new Error(String(mapped)));
      return;
    }
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.failingSince > this.timings.giveUpAfterMs) {
      this.fail(new StoreUnavailableError(`etcd watch could not reconnect for ${this.timings.giveUpAfterMs} ms`, err));
      return;
    }
    this.retryTimer = setTimeout(() => this.connect(), this.retryDelayMs);
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.timings.maxRetryDelayMs);
  }

  private dropStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) closeStream(stream);
  }
}

/**
 * Run a handler callback from inside a gRPC stream event. A throwing handler is a bug in the
 * caller: rethrow it on its own task (an uncaught exception) rather than into gRPC's stream
 * machinery, where it would break the connection shared with other calls.
 */
function deliver(callback: () => void): void {
  try {
    callback();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/**
 * Half-close first: etcd3 marks a member failed when a still-writable stream errors, and our
 * own cancel() surfaces as a CANCELLED error; ending the writable side avoids that.
 */
function closeStream(stream: WatchStream): void {
  stream.on('error', () => undefined);
  stream.end();
  stream.cancel();
}
