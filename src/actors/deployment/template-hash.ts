/**
 * The `pod-template-hash` of a pod template, as Kubernetes' controller.ComputeHash: FNV-1a
 * (32 bit) over the template (here its canonical JSON: keys sorted) plus the Deployment's
 * collisionCount, printed in decimal and mapped onto an alphabet without vowels
 * (rand.SafeEncodeString) so it never spells words. Stable across restarts and masters.
 */
import { isRecord, type JsonObject } from '../../api/object.ts';
import { POD_TEMPLATE_HASH_LABEL } from './objects.ts';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * JSON with object keys sorted, and fields that hold Go's zero values for pointers, structs and
 * slices (null, {}, []) left out: the same template written by kubectl (`rollout undo` sends it
 * as Go serializes it, with `creationTimestamp: null` and `resources: {}`) or by us hashes and
 * compares equal, as Kubernetes' Semantic.DeepEqual on typed structs sees it.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const fields: string[] = [];
    for (const k of Object.keys(value).sort()) {
      const v = value[k];
      if (v === undefined || v === null) continue;
      const text = canonicalJson(v);
      if (text === '{}' || text === '[]') continue;
      fields.push(`${JSON.stringify(k)}:${text}`);
    }
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function fnv1a32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/** The template's hash label value. */
export function computeTemplateHash(template: JsonObject, collisionCount?: number): string {
  let h = fnv1a32(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const extra = new Uint8Array(4);
    new DataView(extra.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a32(extra, h);
  }
  return [...String(h)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

function withoutHashLabel(template: JsonObject): JsonObject {
  const copy = structuredClone(template);
  const labels = isRecord(copy.metadata) ? copy.metadata.labels : undefined;
  if (isRecord(labels)) delete labels[POD_TEMPLATE_HASH_LABEL];
  return copy;
}

/** util.EqualIgnoreHash: the templates are equal once the hash label is left out of both. */
export function equalIgnoringHash(a: JsonObject, b: JsonObject): boolean {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b));
}
