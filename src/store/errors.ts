/**
 * Typed store errors. Callers branch on the class (`instanceof`) or on `code`, never on the
 * message. The API server maps each to a Kubernetes Status reason (see src/api/status.ts).
 */
import type { KeyValue } from './types.ts';

export type StoreErrorCode = 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'LeaseNotFound' | 'Closed' | 'Unavailable' | 'Fenced';

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
}

/** create() of a key that exists. */
export class KeyExistsError extends StoreError {
  readonly code = 'KeyExists' as const;
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
    this.name = 'KeyExistsError';
  }
}

/** get/update/delete of a key that does not exist. */
export class NotFoundError extends StoreError {
  readonly code = 'NotFound' as const;
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
    this.name = 'NotFoundError';
  }
}

/** A compare-and-swap whose expected revision no longer matches. Carries the current value. */
export class ConflictError extends StoreError {
  readonly code = 'Conflict' as const;
  constructor(
    readonly key: string,
    readonly expectedRevision: number,
    readonly current: KeyValue | undefined,
  ) {
    super(`revision conflict on ${key}: expected ${expectedRevision}, found ${current?.modRevision ?? 'none'}`);
    this.name = 'ConflictError';
  }
}

/** A watch or read from a revision that compaction has removed (Kubernetes: 410 Expired). */
export class CompactedError extends StoreError {
  readonly code = 'Compacted' as const;
  constructor(
    readonly requestedRevision: number,
    readonly compactRevision: number,
  ) {
    super(`revision ${requestedRevision} has been compacted (compacted up to ${compactRevision})`);
    this.name = 'CompactedError';
  }
}

export class LeaseNotFoundError extends StoreError {
  readonly code = 'LeaseNotFound' as const;
  constructor(readonly lease: number) {
    super(`lease not found: ${lease}`);
    this.name = 'LeaseNotFoundError';
  }
}

export class StoreClosedError extends StoreError {
  readonly code = 'Closed' as const;
  constructor() {
    super('store is closed');
    this.name = 'StoreClosedError';
  }
}

/** The backend could not be reached (etcd down, no quorum). Retryable. */
export class StoreUnavailableError extends StoreError {
  readonly code = 'Unavailable' as const;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A write through a fenced store (fenced.ts) refused because its writer no longer holds the
 * fence: the lease key is at a revision it did not write (another leader), or it does not lead.
 * Nothing was written.
 */
export class FencedError extends StoreError {
  readonly code = 'Fenced' as const;
  constructor(
    readonly fenceKey: string,
    /** The revision of the fence key the write required; undefined when the writer did not lead. */
    readonly heldRevision?: number,
    /** The fence key's revision found instead (undefined: absent, or not read). */
    readonly foundRevision?: number,
  ) {
    super(
      heldRevision === undefined
        ? `write refused: this process does not hold ${fenceKey}`
        : `write fenced off: ${fenceKey} moved from revision ${heldRevision} to ${foundRevision ?? 'absent'} (another holder)`,
    );
    this.name = 'FencedError';
  }
}
