/**
 * watch: a store watch on the collection's prefix turned into Kubernetes watch events.
 *
 * Start point (`resourceVersion`): absent or "0" replays the current matching objects as ADDED,
 * then streams changes after the revision they were read at; N streams changes after N (a
 * compacted N ends the watch with an ERROR event carrying a 410 Expired Status).
 * `sendInitialEvents=true` (watch-list) replays, then sends a BOOKMARK annotated
 * `k8s.io/initial-events-end: "true"`.
 *
 * Selector transitions follow Kubernetes' cacher: an object that starts matching arrives as
 * ADDED, one that stops matching as DELETED (its previous content, at the event's revision).
 * BOOKMARKs (only with allowWatchBookmarks) come from the store's progress notifications.
 * Events reach the sink synchronously, in revision order; buffering is the caller's business.
 */
import { apiVersionOf, type ResourceInfo } from '../api/kinds.ts';
import { prefixFor } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { fromStoreError } from './store-errors.ts';
import type { WatchEvent as StoreWatchEvent } from '../store/types.ts';
import { decodeObject, parseResourceVersion, withResourceVersion } from './codec.ts';
import type { RegistryContext } from './context.ts';
import { readAll } from './list.ts';
import { compileSelection, type ObjectPredicate } from './selection.ts';
import type { RegistryWatch, WatchEvent, WatchOptions, WatchSink } from './types.ts';

/** Annotation of the BOOKMARK that ends a watch-list's initial events. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

export async function watchObjects(
  ctx: RegistryContext,
  info: ResourceInfo,
  namespace: string | undefined,
  opts: WatchOptions,
  sink: WatchSink,
): Promise<RegistryWatch> {
  const prefix = prefixFor(info, namespace);
  const match = compileSelection(info, opts.labelSelector, opts.fieldSelector);
  const start = startPoint(opts);
  const bookmark = (revision: number, annotations?: Record<string, string>): WatchEvent => ({
    type: 'BOOKMARK',
    object: { kind: info.kind, apiVersion: apiVersionOf(info), metadata: annotations ? { resourceVersion: String(revision), annotations } : { resourceVersion: String(revision) } },
  });

  let fromRevision: number;
  if (start.type === 'replay') {
    const { items, revision } = await readAll(ctx, prefix, match);
    for (const object of items) sink.onEvent({ type: 'ADDED', object });
    if (start.endBookmark) sink.onEvent(bookmark(revision, { [INITIAL_EVENTS_END_ANNOTATION]: 'true' }));
    fromRevision = revision;
  } else {
    fromRevision = start.type === 'from' ? start.revision : await ctx.store.currentRevision();
  }

  let closed = false;
  // A bookmark is sent when the store reports progress past the last one sent (not on every tick).
  let lastBookmark = 0;
  const storeWatch = ctx.store.watch(prefix, { fromRevision }, {
    onEvents(events) {
      for (const ev of events) {
        if (closed) return;
        const out = translate(ev, match);
        if (out) sink.onEvent(out);
      }
    },
    onProgress(revision) {
      if (closed || !opts.allowWatchBookmarks || revision <= lastBookmark) return;
      lastBookmark = revision;
      sink.onEvent(bookmark(revision));
    },
    onError(err) {
      if (closed) return;
      closed = true;
      sink.onEvent({ type: 'ERROR', object: fromStoreError(err, info, '').toStatus() });
    },
  });
  return {
    close() {
      closed = true;
      storeWatch.close();
    },
  };
}

type StartPoint = { type: 'replay'; endBookmark: boolean } | { type: 'now' } | { type: 'from'; revision: number };

function startPoint(opts: WatchOptions): StartPoint {
  const rv = opts.resourceVersion ?? '';
  if (opts.sendInitialEvents === true) {
    if (!opts.allowWatchBookmarks || opts.resourceVersionMatch !== 'NotOlderThan') {
      throw ApiError.badRequest('sendInitialEvents=true requires allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan');
    }
    return { type: 'replay', endBookmark: true };
  }
  if (opts.resourceVersionMatch !== undefined) {
    throw ApiError.badRequest('resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  }
  if (rv === '' && opts.sendInitialEvents === false) return { type: 'now' };
  if (rv === '' || rv === '0') return { type: 'replay', endBookmark: false };
  return { type: 'from', revision: parseResourceVersion(rv) };
}

/** The Kubernetes event for one store event, or undefined when the selectors hide it. */
function translate(ev: StoreWatchEvent, match: ObjectPredicate): WatchEvent | undefined {
  const prev: KubeObject | undefined = ev.prevKv ? decodeObject(ev.prevKv) : undefined;
  if (ev.type === 'delete') {
    const last = decodeObject(ev.kv);
    return match(prev ?? last) ? { type: 'DELETED', object: last } : undefined;
  }
  const cur = decodeObject(ev.kv);
  const curPasses = match(cur);
  if (!prev) {
    // Without the previous value a transition cannot be seen; the key's write count tells create from update.
    if (!curPasses) return undefined;
    return { type: ev.kv.version === 1 ? 'ADDED' : 'MODIFIED', object: cur };
  }
  const oldPasses = match(prev);
  if (curPasses) return { type: oldPasses ? 'MODIFIED' : 'ADDED', object: cur };
  if (oldPasses) return { type: 'DELETED', object: withResourceVersion(prev, ev.kv.modRevision) };
  return undefined;
}
