import { createHash } from 'node:crypto';
import { definitionNameForKind, definitions, type SchemaObject } from '../generated/schemas.ts';
import { groupVersionOf } from './group-version.ts';
import { META, resourcePaths, v3Ref } from './paths.ts';
import type { OpenApiResource, SerializedDocument } from './types.ts';

/** Schemas every group-version document carries (request and response bodies of every path). */
const SHARED_DEFINITIONS = [`${META}.Status`, `${META}.DeleteOptions`, `${META}.Patch`];

const cache = new Map<string, SerializedDocument>();
/** Documents differ only when the resource set changes; a handful of versions is plenty. */
const CACHE_LIMIT = 64;

/**
 * The OpenAPI v3 document kubectl fetches for one group-version (`v1`, `apps/v1`), serialized
 * once per distinct resource set. Resources of other group-versions in the list are ignored.
 */
export function openApiV3Document(groupVersion: string, resources: readonly OpenApiResource[]): SerializedDocument {
  const own = resources.filter((r) => groupVersionOf(r) === groupVersion).sort((a, b) => a.resource.localeCompare(b.resource));
  const key = `${groupVersion}\n${JSON.stringify(own.map((r) => [r.kind, r.listKind, r.resource, r.namespaced, r.subresources]))}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const doc = serialize(buildDocument(own));
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, doc);
  return doc;
}

/** Serializes a document and derives its hash (upper-case hex SHA-512, as Kubernetes) and ETag. */
export function serialize(document: unknown): SerializedDocument {
  const json = JSON.stringify(document);
  const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
  return { json, hash, etag: `"${hash}"` };
}

function buildDocument(resources: readonly OpenApiResource[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const roots = [...SHARED_DEFINITIONS];
  for (const r of resources) {
    const definition = definitionNameForKind(r.group, r.version, r.kind);
    const listDefinition = definitionNameForKind(r.group, r.version, r.listKind ?? `${r.kind}List`);
    const built = resourcePaths(r, definition, listDefinition);
    Object.assign(paths, built.paths);
    roots.push(...built.definitions);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.30.0' },
    paths,
    components: { schemas: closure(roots) },
  };
}

/** The named definitions plus everything they reference, with refs rewritten for components. */
function closure(roots: readonly string[]): Record<string, unknown> {
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (seen.has(name) || !definitions[name]) continue;
    seen.add(name);
    collectRefs(definitions[name], pending);
  }
  const out: Record<string, unknown> = {};
  for (const name of [...seen].sort()) out[name] = rewriteRefs(definitions[name]);
  return out;
}

function collectRefs(node: SchemaObject, into: string[]): void {
  if (node.$ref) into.push(node.$ref.slice(node.$ref.lastIndexOf('/') + 1));
  for (const child of [node.items, node.additionalProperties, ...Object.values(node.properties ?? {}), ...(node.anyOf ?? [])]) {
    if (child) collectRefs(child, into);
  }
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' ? v3Ref(v) : rewriteRefs(v);
  return out;
}
