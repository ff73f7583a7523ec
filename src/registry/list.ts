/**
 * list: the objects under a collection's prefix that match the selectors, in key order, paged by
 * `limit` + `continue`. Pages fill up to `limit` matching items (reading further store pages when
 * selectors filter some out). As in Kubernetes, every page is read at the revision of the first
 * one, so the pages together are one consistent snapshot and a watch from that resourceVersion
 * misses nothing. When compaction has removed that revision, the answer is 410 Expired carrying a
 * continue token that goes on at the latest revision (an inconsistent list, as the message says).
 * `resourceVersionMatch=Exact` reads the whole list at the given resourceVersion.
 */
import { apiVersionOf, type ResourceInfo } from '../api/kinds.ts';
import { prefixFor } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { CompactedError } from '../store/errors.ts';
import { decodeObject, parseResourceVersion } from './codec.ts';
import type { RegistryContext } from './context.ts';
import { decodeContinue, encodeContinue, type ContinueToken } from './continue-token.ts';
import { compileSelection, type ObjectPredicate } from './selection.ts';
import type { KubeList, ListOptions } from './types.ts';

/** Store page size while filling a page of matching items. */
const STORE_PAGE = 500;

export async function listObjects(ctx: RegistryContext, info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
  const prefix = prefixFor(info, namespace);
  const match = compileSelection(info, opts.labelSelector, opts.fieldSelector);
  const exact = exactRevision(opts);
  await checkNotTooNew(ctx, opts.resourceVersion);
  const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
  const token = opts.continue ? decodeContinue(opts.continue, prefix) : undefined;
  // rv 0: the token of an expired list, which goes on at the latest revision.
  const at = exact ?? (token?.rv ? token.rv : undefined);
  let page: Page;
  try {
    page = limit
      ? await readPage(ctx, prefix, match, limit, token?.start, at)
      : { ...(await readAll(ctx, prefix, match, at)), lastKey: undefined, more: false };
  } catch (err) {
    if (!(err instanceof CompactedError)) throw err;
    if (token) throw continueExpired(token);
    throw ApiError.expired(`too old resource version: ${err.requestedRevision} (${err.compactRevision})`);
  }
  const revision = at ?? page.revision;
  const list: KubeList = {
    apiVersion: apiVersionOf(info),
    kind: info.listKind,
    metadata: { resourceVersion: String(revision) },
    items: page.items,
  };
  if (page.more && page.lastKey !== undefined) list.metadata.continue = encodeContinue({ rv: revision, start: page.lastKey });
  return list;
}

/** Every matching object under `prefix` (as of revision `at`, else now), with the revision read at. */
export async function readAll(ctx: RegistryContext, prefix: string, match: ObjectPredicate, at?: number): Promise<{ items: KubeObject[]; revision: number }> {
  const result = await ctx.store.list(prefix, at === undefined ? {} : { revision: at });
  return { items: result.items.map(decodeObject).filter(match), revision: result.revision };
}

interface Page {
  items: KubeObject[];
  revision: number;
  /** Key of the last item returned (where the next page starts after). */
  lastKey: string | undefined;
  more: boolean;
}

async function readPage(
  ctx: RegistryContext,
  prefix: string,
  match: ObjectPredicate,
  limit: number,
  startAfter: string | undefined,
  at: number | undefined,
): Promise<Page> {
  const items: KubeObject[] = [];
  let revision: number | undefined;
  let lastKey: string | undefined;
  let cursor = startAfter;
  for (;;) {
    // The first store page fixes the revision; later ones read at it, so the page is one snapshot.
    const result = await ctx.store.list(prefix, { limit: Math.max(limit, STORE_PAGE), startAfter: cursor, revision: revision ?? at });
    revision ??= result.revision;
    for (let i = 0; i < result.items.length; i++) {
      const kv = result.items[i];
      const obj = decodeObject(kv);
      if (!match(obj)) continue;
      items.push(obj);
      lastKey = kv.key;
      if (items.length === limit) return { items, revision, lastKey, more: i < result.items.length - 1 || result.more };
    }
    if (!result.more || result.items.length === 0) return { items, revision, lastKey, more: false };
    cursor = result.items[result.items.length - 1].key;
  }
}

/**
 * The revision a `resourceVersionMatch=Exact` list is read at, after Kubernetes' checks of the
 * option (400 naming `resourceVersionMatch`); undefined for other lists.
 */
function exactRevision(opts: ListOptions): number | undefined {
  const match = opts.resourceVersionMatch;
  if (match === undefined) return undefined;
  const forbidden = (why: string): ApiError => ApiError.badRequest(`resourceVersionMatch: Forbidden: ${why}`);
  if (!opts.resourceVersion) throw forbidden('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (opts.continue) throw forbidden('resourceVersionMatch is forbidden when continue is provided');
  if (match !== 'Exact') return undefined;
  if (opts.resourceVersion === '0') throw forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  return parseResourceVersion(opts.resourceVersion);
}

/** Kubernetes' answer to a continue token whose revision is compacted, with a token to go on inconsistently. */
function continueExpired(token: ContinueToken): ApiError {
  const err = ApiError.expired(
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  );
  err.status.metadata.continue = encodeContinue({ rv: 0, start: token.start });
  return err;
}

/**
 * A resourceVersion newer than the store's is one this server has not seen yet: Kubernetes
 * answers 504 "Too large resource version" so the client retries.
 */
async function checkNotTooNew(ctx: RegistryContext, resourceVersion: string | undefined): Promise<void> {
  if (!resourceVersion || resourceVersion === '0') return;
  const wanted = parseResourceVersion(resourceVersion);
  const current = await ctx.store.currentRevision();
  if (wanted > current) throw ApiError.timeout(`Too large resource version: ${wanted}, current: ${current}`, 1);
}
