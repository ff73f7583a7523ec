/**
 * List-then-watch over the Kubernetes API, as client-go's reflector does: list, watch from the
 * list's resourceVersion, re-watch from the last one seen when the stream ends, and re-list on
 * 410 Expired. The consumer gets the whole set on each (re)list and every change after it. A 403
 * ends the loop after telling the consumer (its message is Kubernetes' sentence, shown in place).
 */
import { Api, ApiError, isForbidden } from './client.ts';
import { query } from './kinds.ts';
import type { KubeList, KubeObject, WatchEvent } from './types.ts';

export interface ListWatchHandlers<T> {
  /** The full list (first, and after every re-list). */
  reset(items: T[]): void;
  /** One change after the list. */
  change(type: 'ADDED' | 'MODIFIED' | 'DELETED', item: T): void;
  /** A failure worth showing (the loop retries by itself, except after a 403: see listWatch). */
  error?(err: Error): void;
}

export interface ListWatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Accept header: a Table (`TABLE_ACCEPT`) or JSON. */
  accept?: string;
}

const RETRY_MS = 1000;

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** Runs until `signal` aborts. `T` is what each list item / watch object is (an object or a Table). */
export async function listWatch<T extends { metadata?: { resourceVersion?: string } }>(
  api: Api,
  path: string,
  handlers: ListWatchHandlers<T>,
  signal: AbortSignal,
  opts: ListWatchOptions = {},
): Promise<void> {
  const selectors = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
  let resourceVersion: string | undefined;
  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        const list = await api.json<KubeList<T> & { rows?: unknown }>(path + query(selectors), { accept: opts.accept, signal });
        resourceVersion = list.metadata.resourceVersion;
        handlers.reset(splitList(list));
      }
      let expired = false;
      await api.lines(
        path + query({ ...selectors, watch: 1, resourceVersion, allowWatchBookmarks: true }),
        (line) => {
          const ev = JSON.parse(line) as WatchEvent<T>;
          if (ev.type === 'ERROR') {
            // 410 Expired: our resourceVersion is older than the server keeps; start over.
            expired = true;
            return;
          }
          resourceVersion = ev.object.metadata?.resourceVersion ?? resourceVersion;
          if (ev.type !== 'BOOKMARK') handlers.change(ev.type, ev.object);
        },
        { accept: opts.accept, signal },
      );
      if (expired) resourceVersion = undefined;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.code === 410) resourceVersion = undefined;
      handlers.error?.(err as Error);
      // Forbidden is decided when the request opens, as for a Kubernetes watch: asking again
      // changes nothing until a binding changes, and the page shows the message meanwhile.
      if (isForbidden(err)) return;
      await wait(RETRY_MS, signal);
    }
  }
}

/**
 * A list's items. A Table list (`kind: Table`) is split into one single-row Table per object, the
 * shape its watch events have, so the consumer handles both alike.
 */
function splitList<T>(list: KubeList<T> & { rows?: unknown }): T[] {
  const table = list as unknown as { kind?: string; rows?: { object: KubeObject }[]; metadata: object };
  if (table.kind === 'Table' && Array.isArray(table.rows)) {
    return table.rows.map((row) => ({ ...table, rows: [row], metadata: row.object.metadata }) as unknown as T);
  }
  return list.items;
}
