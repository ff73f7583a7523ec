/**
 * Typed patch failures. The API server maps them to a Kubernetes `Status` by class (or by the
 * `httpCode` they carry), never by message.
 */

/** Base class of every failure applyPatch raises. */
export abstract class PatchError extends Error {
  /** HTTP status the API server should answer with. */
  abstract readonly httpCode: 400 | 422;
  /** Kubernetes `Status.reason` to go with httpCode. */
  abstract readonly reason: 'BadRequest' | 'Invalid';
}

/** The patch document itself is unusable: wrong JSON shape, unknown directive, bad `$setElementOrder`. */
export class MalformedPatchError extends PatchError {
  readonly httpCode = 400;
  readonly reason = 'BadRequest';
  override readonly name = 'MalformedPatchError';
}

/** The patch is well formed but cannot be applied to this object (missing path, missing merge key). */
export class PatchApplyError extends PatchError {
  readonly httpCode = 422;
  readonly reason = 'Invalid';
  override readonly name = 'PatchApplyError';
}

/** A JSON patch `test` operation found a different value: the client's precondition failed. */
export class PatchTestFailedError extends PatchError {
  readonly httpCode = 422;
  readonly reason = 'Invalid';
  override readonly name = 'PatchTestFailedError';
  constructor(
    message: string,
    /** JSON pointer the failed `test` operation checked. */
    readonly path: string,
  ) {
    super(message);
  }
}
