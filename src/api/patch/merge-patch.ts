import { MalformedPatchError } from './errors.ts';
import { cloneJson, isJsonObject, type JsonObject } from './json-value.ts';

/** Applies an RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces. */
export function jsonMergePatch(original: JsonObject, patch: unknown): JsonObject {
  if (!isJsonObject(patch)) throw new MalformedPatchError('a JSON merge patch for an object must be a JSON object');
  return mergeInto(cloneJson(original), patch);
}

function mergeInto(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (isJsonObject(value)) target[key] = mergeInto(isJsonObject(target[key]) ? target[key] : {}, value);
    else target[key] = cloneJson(value);
  }
  return target;
}
