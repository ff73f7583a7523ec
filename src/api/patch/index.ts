/**
 * Applying the four patch types the Kubernetes API accepts (PATCH requests' Content-Type).
 * Pure functions: no I/O, inputs are never mutated. Failures are PatchError subclasses.
 */
import { serverSideApply } from './apply-patch.ts';
import { MalformedPatchError } from './errors.ts';
import { isJsonObject, type JsonObject } from './json-value.ts';
import { jsonPatch } from './json-patch.ts';
import { jsonMergePatch } from './merge-patch.ts';
import { strategicMergePatch } from './strategic-merge.ts';

export { MalformedPatchError, PatchApplyError, PatchError, PatchTestFailedError } from './errors.ts';
export type { JsonObject } from './json-value.ts';

/** PATCH Content-Types, in the order Kubernetes lists them in its OpenAPI documents. */
export const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

export type PatchType = (typeof PATCH_TYPES)[number];

/** True when `contentType` (parameters such as `; charset=utf-8` already stripped) is a patch type. */
export function isPatchType(contentType: string): contentType is PatchType {
  return (PATCH_TYPES as readonly string[]).includes(contentType);
}

/**
 * Applies `patch` to `original` and returns the patched object.
 *
 * @param patchType the request's Content-Type.
 * @param original the live object (for apply-patch+yaml of a new object, pass `{}`).
 * @param patch the parsed request body (JSON); for apply-patch+yaml the raw YAML text is accepted too.
 * @param schemaName definition name of the object in schemas.json (`io.k8s.api.apps.v1.Deployment`);
 *   drives strategic merge (merge keys, strategies). Unknown names merge without metadata.
 * @throws MalformedPatchError (400), PatchApplyError (422), PatchTestFailedError (422).
 */
export function applyPatch(patchType: PatchType, original: object, patch: unknown, schemaName: string): JsonObject {
  if (!isJsonObject(original)) throw new MalformedPatchError('only objects can be patched');
  switch (patchType) {
    case 'application/json-patch+json':
      return jsonPatch(original, patch);
    case 'application/merge-patch+json':
      return jsonMergePatch(original, patch);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(original, patch, schemaName);
    case 'application/apply-patch+yaml':
      return serverSideApply(original, patch, schemaName);
  }
}
