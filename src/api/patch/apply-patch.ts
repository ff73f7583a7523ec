import { parse } from 'yaml';
import { MalformedPatchError } from './errors.ts';
import { isJsonObject, type JsonObject } from './json-value.ts';
import { strategicMergePatch } from './strategic-merge.ts';

/**
 * Server-side apply, subset: the applied configuration (YAML or JSON text, or an already parsed
 * object) is merged into the live object with strategic-merge rules — lists with merge keys
 * merge by key, primitive sets merge, other lists and scalars are replaced. Field ownership
 * (managedFields, conflicts, removing fields a manager stopped applying) is not tracked.
 */
export function serverSideApply(original: JsonObject, patch: unknown, schemaName: string): JsonObject {
  const applied = typeof patch === 'string' ? parseApplied(patch) : patch;
  if (!isJsonObject(applied)) throw new MalformedPatchError('an apply patch must be a YAML or JSON object');
  return strategicMergePatch(original, applied, schemaName);
}

function parseApplied(text: string): unknown {
  try {
    return parse(text);
  } catch (err) {
    throw new MalformedPatchError(`the apply patch is not valid YAML: ${(err as Error).message}`);
  }
}
