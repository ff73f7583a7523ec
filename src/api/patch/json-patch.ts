import fastJsonPatch from 'fast-json-patch';
import { MalformedPatchError, PatchApplyError, PatchTestFailedError } from './errors.ts';
import { cloneJson, type JsonObject } from './json-value.ts';

type Operation = fastJsonPatch.Operation;

/** Operation-shape problems fast-json-patch reports: the patch itself is wrong (400), not the target. */
const MALFORMED = new Set<string>([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

/** Applies an RFC 6902 JSON patch to a copy of `original`. */
export function jsonPatch(original: JsonObject, patch: unknown): JsonObject {
  if (!Array.isArray(patch)) throw new MalformedPatchError('a JSON patch must be a list of operations');
  try {
    const result = fastJsonPatch.applyPatch(cloneJson(original), patch as Operation[], true, true).newDocument;
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      throw new PatchApplyError('the JSON patch replaced the object with a non-object');
    }
    return result;
  } catch (err) {
    if (!(err instanceof fastJsonPatch.JsonPatchError)) throw err;
    const op = err.operation as Partial<Operation> | undefined;
    const where = `operation ${err.index ?? 0} (${op?.op ?? '?'} ${op?.path ?? '?'})`;
    if (err.name === 'TEST_OPERATION_FAILED') {
      throw new PatchTestFailedError(`JSON patch test failed: ${where} found a different value`, op?.path ?? '');
    }
    if (MALFORMED.has(err.name)) throw new MalformedPatchError(`invalid JSON patch ${where}: ${err.name}`);
    throw new PatchApplyError(`cannot apply JSON patch ${where}: ${err.name}`);
  }
}
