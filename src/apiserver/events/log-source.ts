/**
 * Where a hub reads the transition log from. On the main thread that is the store itself
 * (`storeLogSource`); in a stream worker it is the main thread's hub, over a MessagePort
 * (workers/remote-source.ts), so that the store is watched once per server however many workers
 * fan the stream out.
 */
import type { Store, Watch } from '../../store/types.ts';
import type { LogEntry, LoggedTransition } from '../../registry/transition-log/entries.ts';
import { readLatestTransitions, watchLog, type LogWatchHandler } from '../../registry/transition-log/reader.ts';

/** What a follower of the whole log is told after its starting point. */
export interface LogFollower {
  /** Records appended, in index order, each after the last one told. */
  onEntries(entries: LogEntry[]): void;
  /** Records deleted (trimmed or swept). */
  onDeleted(keys: string[]): void;
  /** Everything up to `revision` was told (idle periods). */
  onProgress(revision: number): void;
  /** The log can no longer be followed (the store compacted past the follower, or closed). */
  onError(err: Error): void;
}

/** A follower's starting point: every actor's latest transition as of `revision`. */
export interface LogStart {
  revision: number;
  latest: Map<string, LoggedTransition>;
  /** Stop telling the follower. */
  stop(): void;
}

export interface LogSource {
  /** Every actor's latest transition at one revision, then (through `follower`) every change after it. */
  follow(follower: LogFollower): Promise<LogStart>;
  /** The log's records after `fromRevision`, as `watchLog` delivers them (a client catching up from the store). */
  read(fromRevision: number, handler: Pick<LogWatchHandler, 'onEntries' | 'onError'>): Watch;
}

/** The log read from `store` directly. */
export function storeLogSource(store: Store): LogSource {
  return {
    async follow(f) {
      const { revision, latest } = await readLatestTransitions(store);
      const watch = watchLog(store, revision, { onEntries: (e) => f.onEntries(e), onDeleted: (keys) => f.onDeleted(keys), onProgress: (rev) => f.onProgress(rev), onError: (err) => f.onError(err) });
      return { revision, latest, stop: () => watch.close() };
    },
    read: (fromRevision, handler) => watchLog(store, fromRevision, handler),
  };
}
