/**
 * Applying a strategic merge patch, with the semantics of Kubernetes'
 * apimachinery/pkg/util/strategicpatch (StrategicMergeMapPatch: parallel delete lists are
 * applied, nulls for absent keys are dropped). Field behaviour comes from the
 * `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` metadata in schemas.json.
 *
 * Directives understood:
 * - `$patch: replace | delete` inside a map; `$patch: delete | replace` elements inside a merging list;
 * - `$setElementOrder/<field>`: the final order of a merging list;
 * - `$retainKeys`: drop every key of the original map not listed;
 * - `$deleteFromPrimitiveList/<field>`: values to remove from a merging list of primitives;
 * - `null`: delete the field.
 */
import { MalformedPatchError, PatchApplyError } from './errors.ts';
import { cloneJson, isJsonObject, type JsonObject } from './json-value.ts';
import { PatchSchema } from './patch-meta.ts';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** Applies `patch` to `original` (neither is mutated) using the schema of definition `schemaName`. */
export function strategicMergePatch(original: JsonObject, patch: unknown, schemaName: string): JsonObject {
  if (!isJsonObject(patch)) throw new MalformedPatchError('a strategic merge patch must be a JSON object');
  return mergeMap(cloneJson(original), cloneJson(patch), PatchSchema.forDefinition(schemaName));
}

/** Merges `patch` into `original`; both are private copies and may be modified. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: PatchSchema): JsonObject {
  if (DIRECTIVE in patch) return mapDirective(patch, schema);
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, schema);

  for (const [rawKey, patchValue] of Object.entries(patch)) {
    const isDeleteList = rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST);
    const key = isDeleteList ? directiveTarget(rawKey, DELETE_FROM_PRIMITIVE_LIST) : rawKey;
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const field = schema.field(key);
    if (!(key in original)) {
      // Nothing to delete from; anything else is new content, cleaned of directives and nulls.
      if (!isDeleteList) original[key] = fresh(patchValue, field.value, field.strategy, field.mergeKey);
      continue;
    }
    const current = original[key];
    if (isJsonObject(current) && isJsonObject(patchValue)) {
      original[key] = field.strategy === 'replace' ? fresh(patchValue, field.value) : mergeMap(current, patchValue, field.value);
    } else if (Array.isArray(current) && Array.isArray(patchValue)) {
      original[key] =
        field.strategy === 'merge'
          ? mergeList(current, patchValue, field.value, field.mergeKey, isDeleteList)
          : cloneJson(patchValue);
    } else {
      if (isDeleteList) throw new MalformedPatchError(`${rawKey} must be a list, as must the field it applies to`);
      original[key] = fresh(patchValue, field.value, field.strategy, field.mergeKey);
    }
  }
  return original;
}

/** Value for a key absent from the original: the patch value merged into nothing. */
function fresh(value: unknown, schema: PatchSchema, strategy?: string, mergeKey?: string): unknown {
  if (isJsonObject(value)) return mergeMap({}, value, schema);
  if (Array.isArray(value) && strategy === 'merge') return mergeList([], value, schema, mergeKey, false);
  return value;
}

function mapDirective(patch: JsonObject, schema: PatchSchema): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return {};
  if (directive === 'replace') {
    const rest = { ...patch };
    delete rest[DIRECTIVE];
    return mergeMap({}, rest, schema);
  }
  throw new MalformedPatchError(`unknown patch directive in a map: ${DIRECTIVE}: ${JSON.stringify(directive)}`);
}

function directiveTarget(key: string, prefix: string): string {
  const target = key.slice(prefix.length);
  if (target === '') throw new MalformedPatchError(`directive ${key} names no field`);
  return target;
}

/** `$retainKeys`: every non-null patch key must be listed; original keys not listed are dropped. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!(RETAIN_KEYS in patch)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
    throw new MalformedPatchError(`${RETAIN_KEYS} must be a list of field names`);
  }
  const keep = new Set(retain as string[]);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(SET_ELEMENT_ORDER) || k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (!keep.has(k)) throw new MalformedPatchError(`${RETAIN_KEYS} does not list ${k}, which the patch sets`);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/**
 * `$setElementOrder/<field>`: merge the field's list now and give it the requested order; the
 * field's patch list is consumed so the main loop leaves it alone.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject, schema: PatchSchema): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    const key = directiveTarget(directiveKey, SET_ELEMENT_ORDER);
    if (!Array.isArray(order)) throw new MalformedPatchError(`${directiveKey} must be a list`);
    const current = original[key];
    const patchList = patch[key];
    if (current !== undefined && !Array.isArray(current)) throw new PatchApplyError(`${key} is not a list`);
    if (patchList !== undefined && !Array.isArray(patchList)) throw new MalformedPatchError(`${key} in the patch is not a list`);
    const field = schema.field(key);
    if (patchList) checkOrderMatchesPatch(patchList, order, field.mergeKey, directiveKey);

    let merged: unknown[];
    if (current && patchList) {
      merged =
        field.strategy === 'merge'
          ? mergeList(current, patchList, field.value, field.mergeKey, false)
          : cloneJson(patchList);
    } else if (patchList) {
      merged = fresh(patchList, field.value, field.strategy, field.mergeKey) as unknown[];
    } else if (current) {
      merged = current;
    } else {
      continue;
    }
    delete patch[key];
    original[key] = orderAsPatched(merged, order, current ?? [], identityOf(merged, field.mergeKey));
  }
}

/** The non-delete items of a patch list must appear in the same relative order as in `$setElementOrder`. */
function checkOrderMatchesPatch(patchList: unknown[], order: unknown[], mergeKey: string | undefined, directiveKey: string): void {
  const items = patchList.filter((item) => !(isJsonObject(item) && DIRECTIVE in item));
  const identity = identityOf(items, mergeKey);
  let i = 0;
  for (const o of order) if (i < items.length && identity(items[i]) === identity(o)) i++;
  if (i < items.length) throw new MalformedPatchError(`the order of the patch list does not match ${directiveKey}`);
}

/**
 * Merges a list whose field has patch strategy `merge`: primitives as an ordered set (or, for a
 * `$deleteFromPrimitiveList`, by removing the listed values); objects by `mergeKey`.
 */
function mergeList(
  original: unknown[],
  patch: unknown[],
  elementSchema: PatchSchema,
  mergeKey: string | undefined,
  isDeleteList: boolean,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind([...original, ...patch]);
  if (kind === 'scalar') {
    if (isDeleteList) return original.filter((v) => !patch.includes(v));
    const merged = [...new Set([...original, ...patch])];
    return orderAsPatched(merged, patch, original, (v) => v);
  }
  if (!mergeKey) throw new PatchApplyError('cannot merge a list of objects that has no merge key');
  const { base, additions } = applyListDirectives(original, patch, mergeKey, elementSchema);
  const merged = [...base];
  for (const item of additions) {
    const key = requireMergeKey(item, mergeKey);
    const at = merged.findIndex((m) => (m as JsonObject)[mergeKey] === key);
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, elementSchema);
    else merged.push(mergeMap({}, item, elementSchema));
  }
  return orderAsPatched(merged, additions, base, (v) => (v as JsonObject)[mergeKey]);
}

/** Handles `$patch` elements: `delete` removes matching originals, `replace` makes the rest of the patch the list. */
function applyListDirectives(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  elementSchema: PatchSchema,
): { base: unknown[]; additions: JsonObject[] } {
  let base = original;
  const additions: JsonObject[] = [];
  let replace = false;
  for (const item of patch) {
    const element = item as JsonObject;
    if (!(DIRECTIVE in element)) {
      additions.push(element);
      continue;
    }
    const directive = element[DIRECTIVE];
    if (directive === 'delete') {
      const key = requireMergeKey(element, mergeKey);
      base = base.filter((b) => (b as JsonObject)[mergeKey] !== key);
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new MalformedPatchError('merging lists cannot yet be specified in the patch');
    } else {
      throw new MalformedPatchError(`unknown patch directive in a list: ${DIRECTIVE}: ${JSON.stringify(directive)}`);
    }
  }
  return replace ? { base: additions.map((a) => mergeMap({}, a, elementSchema)), additions: [] } : { base, additions };
}

function requireMergeKey(item: JsonObject, mergeKey: string): unknown {
  if (!(mergeKey in item)) throw new PatchApplyError(`list element ${JSON.stringify(item)} has no merge key "${mergeKey}"`);
  return item[mergeKey];
}

function elementKind(items: unknown[]): 'scalar' | 'object' {
  let kind: 'scalar' | 'object' | undefined;
  for (const item of items) {
    if (Array.isArray(item)) throw new MalformedPatchError('lists of lists cannot be merged');
    const k = isJsonObject(item) ? 'object' : 'scalar';
    if (kind && kind !== k) throw new MalformedPatchError('list elements are not all of one type');
    kind = k;
  }
  return kind ?? 'scalar';
}

function identityOf(items: unknown[], mergeKey: string | undefined): (item: unknown) => unknown {
  const objects = items.length > 0 && isJsonObject(items[0]);
  return objects && mergeKey ? (item) => (isJsonObject(item) ? item[mergeKey] : undefined) : (item) => item;
}

/**
 * Final order of a merged list, as Kubernetes computes it: items named in the patch keep the
 * patch's order, the server-only items keep the original order, and the two are interleaved
 * by the original positions.
 */
function orderAsPatched(merged: unknown[], patch: unknown[], original: unknown[], identity: (v: unknown) => unknown): unknown[] {
  const inPatch = new Set(patch.map(identity));
  const patched = merged.filter((m) => inPatch.has(identity(m)));
  const serverOnly = merged.filter((m) => !inPatch.has(identity(m)));
  return interleave(sortBy(patched, patch, identity), sortBy(serverOnly, original, identity), original, identity);
}

/** Stable sort by position in `order`; items absent from `order` keep their relative order at the end. */
function sortBy(items: unknown[], order: unknown[], identity: (v: unknown) => unknown): unknown[] {
  const position = new Map(order.map((o, i) => [identity(o), i] as const));
  const rank = (v: unknown): number => position.get(identity(v)) ?? Number.MAX_SAFE_INTEGER;
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => rank(a.item) - rank(b.item) || a.i - b.i)
    .map(({ item }) => item);
}

/**
 * Merges two sorted lists (patch items and server-only items): a server-only item goes first
 * only when both are in the original and it was earlier there (Kubernetes' mergeSortedSlice).
 */
function interleave(patched: unknown[], serverOnly: unknown[], original: unknown[], identity: (v: unknown) => unknown): unknown[] {
  const position = new Map(original.map((o, i) => [identity(o), i] as const));
  const out: unknown[] = [];
  let p = 0;
  let s = 0;
  while (p < patched.length || s < serverOnly.length) {
    if (p >= patched.length) out.push(serverOnly[s++]);
    else if (s >= serverOnly.length) out.push(patched[p++]);
    else {
      const sp = position.get(identity(serverOnly[s]));
      const pp = position.get(identity(patched[p]));
      if (sp !== undefined && pp !== undefined && sp < pp) out.push(serverOnly[s++]);
      else out.push(patched[p++]);
    }
  }
  return out;
}
