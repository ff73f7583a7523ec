/**
 * Client-side apply as kubectl does it: the manifest is recorded in the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation, and an update is a JSON merge
 * patch computed three ways (last applied, new manifest, live object) so fields the user removed
 * are deleted while fields the server or others set are kept.
 */

import type { Manifest } from './manifests.ts';
import type { KubeObject } from './output.ts';

/** The annotation kubectl keeps the last applied manifest in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

type JsonObject = Record<string, unknown>;

/**
 * The manifest to send: a copy carrying its own JSON (without the annotation itself) in the
 * annotation, byte for byte as kubectl records it (keys sorted as Go marshals maps, an empty
 * `annotations: {}` kept, trailing newline), so kubectl and kactus each see the other's apply as
 * their own.
 */
/**
 * Go's encoding/json escapes `&`, `<`, `>`, U+2028 and U+2029 (HTML-safe output), and kubectl
 * writes the annotation with it; JSON.stringify does not. Escaping the same way keeps the
 * annotation byte-identical to kubectl's.
 */
export function goJson(json: string): string {
  return json.replace(/[&<>\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function withLastApplied(manifest: Manifest): Manifest {
  const copy = structuredClone(manifest);
  const annotations = { ...copy.metadata.annotations };
  delete annotations[LAST_APPLIED_ANNOTATION];
  copy.metadata.annotations = annotations;
  const recorded = goJson(JSON.stringify(sortKeys(copy))) + '\n';
  copy.metadata.annotations = { ...annotations, [LAST_APPLIED_ANNOTATION]: recorded };
  return copy;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

/** The last applied manifest recorded on a live object, when it has one that parses. */
export function lastAppliedOf(live: KubeObject): JsonObject | undefined {
  const text = live.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The merge patch that makes `current` match `modified`, deleting (null) what `original` had and
 * `modified` dropped. Values in `modified` already contained in `current` (a list whose items
 * the server only added defaults to) are left alone. Undefined when nothing needs to change.
 */
export function threeWayMergePatch(original: JsonObject | undefined, modified: JsonObject, current: JsonObject): JsonObject | undefined {
  const patch: JsonObject = {};
  for (const [key, want] of Object.entries(modified)) {
    const have = current[key];
    if (isObject(want) && isObject(have)) {
      const was = original?.[key];
      const sub = threeWayMergePatch(isObject(was) ? was : undefined, want, have);
      if (sub) patch[key] = sub;
    } else if (!containedIn(want, have)) {
      patch[key] = want;
    }
  }
  for (const key of Object.keys(original ?? {})) {
    if (!(key in modified) && key in current) patch[key] = null;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Is every field `want` sets present with the same value in `have` (lists: same length, item by item)? */
export function containedIn(want: unknown, have: unknown): boolean {
  if (want === null) return have === null || have === undefined;
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => containedIn(w, have[i]));
  }
  if (isObject(want)) return isObject(have) && Object.entries(want).every(([k, w]) => containedIn(w, have[k]));
  return want === have;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
