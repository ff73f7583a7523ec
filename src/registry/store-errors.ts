/**
 * Store errors as the API answers them: the registry is where the store meets the API's rules,
 * so the mapping lives here (src/api knows no store).
 */
import { ApiError, type ResourceRef } from '../api/status.ts';
import {
  CompactedError,
  ConflictError,
  FencedError,
  KeyExistsError,
  NotFoundError,
  StoreClosedError,
  StoreUnavailableError,
} from '../store/errors.ts';

/**
 * Maps a store error (by class) to the Status Kubernetes would answer with for an operation on
 * `name` of resource `ref`. An `ApiError` passes through; anything unknown is a 500.
 */
export function fromStoreError(err: unknown, ref: ResourceRef, name: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof KeyExistsError) return ApiError.alreadyExists(ref, name);
  if (err instanceof NotFoundError) return ApiError.notFound(ref, name);
  if (err instanceof ConflictError) return ApiError.conflict(ref, name);
  if (err instanceof CompactedError) {
    return ApiError.expired(`too old resource version: ${err.requestedRevision} (${err.compactRevision})`);
  }
  // A deposed leader's write: nothing was written; this master stops leading and retries nothing.
  if (err instanceof StoreUnavailableError || err instanceof StoreClosedError || err instanceof FencedError) return ApiError.serviceUnavailable(err.message);
  return ApiError.internal(err);
}
