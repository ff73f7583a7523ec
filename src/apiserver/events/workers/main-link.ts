/**
 * A stream worker's side of its port to the main thread (protocol.ts): calls answered by id, and
 * the log feeds the main thread pushes — the worker hub's `LogSource` (follow: the main hub's
 * state, then its changes; read: the store from an index). Feeds arrive in the order the main
 * thread sent them, on one port, so a feed's `start` is followed by exactly the changes after it.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Watch } from '../../../store/types.ts';
import { CompactedError } from '../../../store/errors.ts';
import { actorKeyOf, type LoggedTransition } from '../../../registry/transition-log/entries.ts';
import type { LogWatchHandler } from '../../../registry/transition-log/reader.ts';
import type { LogFollower, LogSource, LogStart } from '../log-source.ts';
import type { CallRequest, CallResult, FeedError, ToMain, ToWorker } from './protocol.ts';

type Feed =
  | { feed: 'follow'; follower: LogFollower; started?: (start: { revision: number; latest: LoggedTransition[] }) => void; failed?: (err: Error) => void }
  | { feed: 'read'; handler: Pick<LogWatchHandler, 'onEntries' | 'onError'> };

export class MainLink implements LogSource {
  private nextId = 1;
  private readonly calls = new Map<number, { resolve(r: CallResult): void; reject(err: Error): void }>();
  private readonly feeds = new Map<number, Feed>();

  constructor(private readonly port: Pick<MessagePort, 'postMessage'>) {}

  post(message: ToMain): void {
    this.port.postMessage(message);
  }

  call<M extends CallRequest['method']>(request: Extract<CallRequest, { method: M }>): Promise<Extract<CallResult, { method: M }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (r: CallResult) => void, reject });
      this.post({ op: 'call', id, request });
    });
  }

  follow(follower: LogFollower): Promise<LogStart> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.feeds.set(id, {
        feed: 'follow',
        follower,
        started: ({ revision, latest }) => {
          const map = new Map<string, LoggedTransition>();
          for (const e of latest) map.set(actorKeyOf(e.record), e);
          resolve({ revision, latest: map, stop: () => this.shut(id) });
        },
        failed: reject,
      });
      this.post({ op: 'open', id, feed: 'follow' });
    });
  }

  read(fromRevision: number, handler: Pick<LogWatchHandler, 'onEntries' | 'onError'>): Watch {
    const id = this.nextId++;
    this.feeds.set(id, { feed: 'read', handler });
    this.post({ op: 'open', id, feed: 'read', from: fromRevision });
    return { close: () => this.shut(id) };
  }

  private shut(id: number): void {
    if (this.feeds.delete(id)) this.post({ op: 'shut', id });
  }

  /** A message from the main thread that is about a call or a feed (others are the worker's). */
  receive(msg: ToWorker): boolean {
    switch (msg.op) {
      case 'result': {
        const call = this.calls.get(msg.id);
        this.calls.delete(msg.id);
        if (msg.error !== undefined || !msg.result) call?.reject(new Error(msg.error ?? 'no result'));
        else call?.resolve(msg.result);
        return true;
      }
      case 'start': {
        const feed = this.feeds.get(msg.id);
        if (feed?.feed !== 'follow') return true;
        const started = feed.started;
        feed.started = undefined;
        feed.failed = undefined;
        started?.({ revision: msg.revision, latest: msg.latest });
        return true;
      }
      case 'entries': {
        const feed = this.feeds.get(msg.id);
        if (feed?.feed === 'follow') feed.follower.onEntries(msg.entries);
        else feed?.handler.onEntries(msg.entries);
        return true;
      }
      case 'deleted': {
        const feed = this.feeds.get(msg.id);
        if (feed?.feed === 'follow') feed.follower.onDeleted(msg.keys);
        return true;
      }
      case 'progress': {
        const feed = this.feeds.get(msg.id);
        if (feed?.feed === 'follow') feed.follower.onProgress(msg.revision);
        return true;
      }
      case 'error': {
        const feed = this.feeds.get(msg.id);
        this.feeds.delete(msg.id);
        const err = feedError(msg.error);
        if (feed?.feed === 'follow') {
          if (feed.failed) feed.failed(err);
          else feed.follower.onError(err);
        } else {
          feed?.handler.onError(err);
        }
        return true;
      }
      default:
        return false;
    }
  }

  /** The main thread is gone: every call and feed fails. */
  fail(err: Error): void {
    for (const c of this.calls.values()) c.reject(err);
    this.calls.clear();
    for (const id of [...this.feeds.keys()]) this.receive({ op: 'error', id, error: { message: err.message } });
  }
}

function feedError(e: FeedError): Error {
  return e.compacted ? new CompactedError(e.compacted.requested, e.compacted.compactRevision) : new Error(e.message);
}

/** The error a feed ends with, for the port. */
export function toFeedError(err: Error): FeedError {
  return err instanceof CompactedError ? { message: err.message, compacted: { requested: err.requestedRevision, compactRevision: err.compactRevision } } : { message: err.message };
}
