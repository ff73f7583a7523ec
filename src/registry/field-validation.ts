/**
 * Validation of a write, with Kubernetes' handling of unknown fields (`fieldValidation`):
 * Strict -> 400 `strict decoding error: unknown field "spec.foo"` (decoding fails before any
 * validation), Warn (the default) -> one `Warning` per field, Ignore -> silence; under both the
 * fields are dropped before storing, as Kubernetes' decoder drops them from built-in kinds. Every
 * other field error is a 422 Invalid naming the field.
 */
import type { ResourceInfo } from '../api/kinds.ts';
import type { KubeObject } from '../api/object.ts';
import { ApiError, type FieldError } from '../api/status.ts';
import { pruneUnknown, unknownFieldWarnings, validateObject, validateUpdate } from '../api/validation.ts';
import type { WriteOptions } from './types.ts';

/**
 * Throws the ApiError a write of `obj` deserves (400 strict decoding, 422 invalid), reports
 * unknown fields as warnings under Warn and removes them from `obj` (in place) when it is
 * accepted. `old` is the stored object on update.
 */
export async function validateForWrite(info: ResourceInfo, obj: KubeObject, opts: WriteOptions, old?: KubeObject): Promise<void> {
  const mode = opts.fieldValidation ?? 'Warn';
  const errors: FieldError[] = await validateObject(info, obj, { strict: true });
  const unknown = errors.filter((e) => e.type === 'FieldValueUnknown');
  const invalid = errors.filter((e) => e.type !== 'FieldValueUnknown');
  if (unknown.length && mode === 'Strict') throw ApiError.strictDecoding(unknown);
  if (old) invalid.push(...(await validateUpdate(info, old, obj)));
  if (invalid.length) throw ApiError.invalid(info, obj.metadata?.name ?? '', invalid);
  if (unknown.length === 0) return;
  if (mode === 'Warn') for (const warning of unknownFieldWarnings(unknown)) opts.onWarning?.(warning);
  await pruneUnknown(info, obj);
}
