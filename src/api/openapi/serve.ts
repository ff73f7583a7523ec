import { openApiV3Document } from './document.ts';
import { groupVersionFromPathKey, groupVersionOf } from './group-version.ts';
import { openApiV3DocumentUrl, openApiV3Index } from './index-document.ts';
import type { OpenApiResource, SerializedDocument } from './types.ts';

/** What the HTTP layer should send for an /openapi/v3 request. */
export interface OpenApiReply {
  readonly status: 200 | 301 | 304;
  readonly headers: Readonly<Record<string, string>>;
  /** Empty for 301 and 304. */
  readonly body: string;
}

const V3_ROOT = '/openapi/v3';
const ONE_YEAR_SECONDS = 365 * 24 * 3600;

/**
 * Answers `GET /openapi/v3` and `GET /openapi/v3/<api/v1 | apis/G/V>[?hash=H]` the way the
 * Kubernetes API server does: a hash-pinned URL whose hash matches is immutable for a year; a
 * stale hash is redirected (301) to the current one; `If-None-Match` gives 304. Returns
 * undefined for paths that are not OpenAPI v3 documents of a served group-version: the caller
 * answers those with a 404 Status. /openapi/v2 is deliberately not served (see README.md).
 */
export function serveOpenApiV3(
  pathname: string,
  searchParams: URLSearchParams,
  resources: readonly OpenApiResource[],
  ifNoneMatch?: string,
): OpenApiReply | undefined {
  if (pathname === V3_ROOT || pathname === `${V3_ROOT}/`) return reply(openApiV3Index(resources), ifNoneMatch, undefined);
  if (!pathname.startsWith(`${V3_ROOT}/`)) return undefined;
  const key = pathname.slice(V3_ROOT.length + 1);
  const gv = groupVersionFromPathKey(key);
  if (!gv || !resources.some((r) => groupVersionOf(r) === gv)) return undefined;
  const doc = openApiV3Document(gv, resources);
  const requestedHash = searchParams.get('hash');
  if (requestedHash !== null && requestedHash !== doc.hash) {
    return { status: 301, headers: { Location: openApiV3DocumentUrl(key, doc.hash), 'Cache-Control': 'no-cache, private' }, body: '' };
  }
  return reply(doc, ifNoneMatch, requestedHash !== null);
}

function reply(doc: SerializedDocument, ifNoneMatch: string | undefined, pinned: boolean | undefined): OpenApiReply {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ETag: doc.etag,
    'Cache-Control': pinned ? `public, immutable, max-age=${ONE_YEAR_SECONDS}` : 'no-cache, private',
  };
  if (ifNoneMatch !== undefined && ifNoneMatch === doc.etag) return { status: 304, headers, body: '' };
  return { status: 200, headers, body: doc.json };
}
