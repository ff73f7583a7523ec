/**
 * Reading the transition log: one object's history, every actor's latest transition at one
 * revision (where a stream server starts), and the log's changes from a revision on (the stream).
 */
import type { Store, Watch, WatchEvent } from '../../store/types.ts';
import { actorKeyOf, decodeEntry, type LogEntry, type LoggedTransition } from './entries.ts';
import { RECORDS_PREFIX, transitionsPrefix, type ObjectRef } from './keys.ts';

/** An object's transitions (every actor, every life of the name) in index order, and the revision read at. */
export async function readHistory(store: Store, object: ObjectRef): Promise<{ revision: number; items: LoggedTransition[] }> {
  const { items, revision } = await store.list(transitionsPrefix(object));
  const out: LoggedTransition[] = [];
  for (const kv of items) {
    const entry = decodeEntry(kv);
    if (entry?.type === 'transition') out.push(entry);
  }
  out.sort((a, b) => a.index - b.index);
  return { revision, items: out };
}

/** Keys read per page when scanning the whole log. */
const PAGE = 1000;

/**
 * Every actor's newest transition as of one revision (a consistent read across pages), keyed by
 * `actorKeyOf`. A watch from `revision` then continues it without gap or overlap.
 */
export async function readLatestTransitions(store: Store): Promise<{ revision: number; latest: Map<string, LoggedTransition> }> {
  const latest = new Map<string, LoggedTransition>();
  let revision: number | undefined;
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.list(RECORDS_PREFIX, { limit: PAGE, ...(startAfter === undefined ? {} : { startAfter }), ...(revision === undefined ? {} : { revision }) });
    revision ??= page.revision;
    for (const kv of page.items) {
      const entry = decodeEntry(kv);
      if (entry?.type !== 'transition') continue;
      const key = actorKeyOf(entry.record);
      const seen = latest.get(key);
      if (!seen || seen.index < entry.index) latest.set(key, entry);
    }
    if (!page.more || page.items.length === 0) break;
    startAfter = page.items[page.items.length - 1]!.key;
  }
  return { revision, latest };
}

export interface LogWatchHandler {
  /** Records appended, in index order. */
  onEntries(entries: LogEntry[]): void;
  /** Records deleted (trimmed or swept): their keys, with the delete's revision. */
  onDeleted?(keys: string[], revision: number): void;
  /** The watch ended (CompactedError for a revision older than the store's history, a closed store). */
  onError(err: Error): void;
  /** Everything up to `revision` was delivered (idle periods). */
  onProgress?(revision: number): void;
}

/** Watch the log from `fromRevision` (exclusive); deliveries are synchronous with the store's. */
export function watchLog(store: Store, fromRevision: number | undefined, handler: LogWatchHandler): Watch {
  // Appends and trims: no event's previous value is read (etcd would read one per event).
  return store.watch(RECORDS_PREFIX, fromRevision === undefined ? { withoutPrevious: true } : { fromRevision, withoutPrevious: true }, {
    onEvents(events: WatchEvent[]) {
      const entries: LogEntry[] = [];
      let deleted: string[] | undefined;
      let deleteRevision = 0;
      for (const ev of events) {
        if (ev.type === 'delete') {
          (deleted ??= []).push(ev.kv.key);
          deleteRevision = ev.kv.modRevision;
          continue;
        }
        const entry = decodeEntry(ev.kv);
        if (entry) entries.push(entry);
      }
      if (entries.length > 0) handler.onEntries(entries);
      if (deleted) handler.onDeleted?.(deleted, deleteRevision);
    },
    onError: (err) => handler.onError(err),
    onProgress: (revision) => handler.onProgress?.(revision),
  });
}
