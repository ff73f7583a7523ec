/**
 * Kubernetes' checks of a write's options that kactus otherwise does not use (it keeps no
 * managedFields): `fieldManager` at most 128 bytes of printable characters, required for
 * server-side apply; `force` only for apply. Refusals are 422 Invalid for the options kind
 * (`PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply
 * patch`), as kube-apiserver answers (found missing by the API fuzzer).
 */
import { forbidden, invalid, required, tooLong, type FieldError } from '../../api/field.ts';
import { ApiError } from '../../api/status.ts';
import { bool } from './query.ts';

const MAX_FIELD_MANAGER_BYTES = 128;

export type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions';

/** Throws the 422 for bad `fieldManager`/`force` query parameters of a write (`isApply`: an apply patch). */
export function checkWriteOptions(q: URLSearchParams, kind: OptionsKind, isApply = false): void {
  const errors: FieldError[] = [];
  const manager = q.get('fieldManager') ?? '';
  if (Buffer.byteLength(manager) > MAX_FIELD_MANAGER_BYTES) errors.push(tooLong('fieldManager', MAX_FIELD_MANAGER_BYTES));
  // Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
  else if (/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(manager)) errors.push(invalid('fieldManager', manager, 'invalid characters'));
  if (isApply && manager === '') errors.push(required('fieldManager', 'is required for apply patch'));
  const force = bool(q, 'force');
  if (kind === 'PatchOptions' && !isApply && force !== undefined) errors.push(forbidden('force', 'may not be specified for non-apply patch'));
  if (errors.length) throw ApiError.invalid({ group: 'meta.k8s.io', kind }, '', errors);
}
