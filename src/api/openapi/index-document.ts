import { openApiV3Document, serialize } from './document.ts';
import { groupVersionOf, openApiV3PathKey } from './group-version.ts';
import type { OpenApiResource, SerializedDocument } from './types.ts';

/** URL of a group-version document pinned to its content hash, as listed in the index. */
export function openApiV3DocumentUrl(pathKey: string, hash: string): string {
  return `/openapi/v3/${pathKey}?hash=${hash}`;
}

/**
 * The `/openapi/v3` index: `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=…"}}}`.
 *
 * @param resources every served resource; one entry per group-version.
 * @param baseHashes extra entries (index key such as `apis/example.com/v1` -> document hash) for
 *   documents the caller builds itself; they win over computed ones with the same key.
 */
export function openApiV3Index(resources: readonly OpenApiResource[], baseHashes?: ReadonlyMap<string, string>): SerializedDocument {
  const hashes = new Map<string, string>();
  for (const gv of new Set(resources.map(groupVersionOf))) {
    hashes.set(openApiV3PathKey(gv), openApiV3Document(gv, resources).hash);
  }
  for (const [key, hash] of baseHashes ?? []) hashes.set(key, hash);
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const key of [...hashes.keys()].sort()) paths[key] = { serverRelativeURL: openApiV3DocumentUrl(key, hashes.get(key) as string) };
  return serialize({ paths });
}
