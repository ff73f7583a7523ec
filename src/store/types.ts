/**
 * The whole storage contract of kactus: one narrow, revision-based key-value interface
 * (modelled on etcd's and on kine's). Backends: `embedded://DIR` (in-process MVCC + WAL) and
 * `etcd://host:port,...` (a real etcd cluster through etcd3). Both pass one conformance suite
 * (`conformance.ts`).
 *
 * Rules every backend keeps:
 * - One global, strictly increasing revision. Every successful write (create, update, delete,
 *   txn with writes, lease expiry deleting keys) takes the next revision(s) and stamps it into
 *   the key's `modRevision`. A Kubernetes `resourceVersion` is that `modRevision`.
 * - A promise that resolves has been made durable (fsync'd for embedded, raft-committed for
 *   etcd). Nothing acknowledged is ever lost.
 * - Every write that names an expected revision is a compare-and-swap; a mismatch is a typed
 *   error (`ConflictError`), never matched by string.
 * - Watches deliver every change after `fromRevision`, in revision order, each exactly once;
 *   a revision older than the compaction point fails the watch with `CompactedError`.
 */

/** One stored key at one revision. Values are UTF-8 strings (JSON documents for API objects). */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the last write to this key: the object's resourceVersion. */
  modRevision: number;
  /** Number of writes since the key was created (1 on create). */
  version: number;
  /** Lease the key is attached to; 0 or absent for none. */
  lease?: number;
}

export interface ListOptions {
  /** Most items to return; 0 or absent means all. */
  limit?: number;
  /** Return keys strictly after this key (continuation of a paged list). */
  startAfter?: string;
  /**
   * Read the keys as they were at this revision (a consistent snapshot across pages, as
   * Kubernetes' paged lists). CompactedError when compaction has removed that revision's history.
   * Absent: the latest state.
   */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The store revision the list reflects; a watch from here misses nothing. */
  revision: number;
  /** True when `limit` cut the list short. */
  more: boolean;
}

export interface PutOptions {
  /** Attach the key to a lease: it is deleted when the lease expires or is revoked. */
  lease?: number;
}

export type WatchEventType = 'put' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For put: the new value. For delete: the key with `modRevision` = the delete's revision and the last value. */
  kv: KeyValue;
  /** The value before this event, when there was one. */
  prevKv?: KeyValue;
}

export interface WatchOptions {
  /** Deliver events with revision > fromRevision. Absent: only changes after the call. */
  fromRevision?: number;
  /** Watch a single key instead of a prefix. */
  exact?: boolean;
  /**
   * The watcher never reads `prevKv` nor a delete's last value (a delete's `kv` may then carry
   * only its key and revision). etcd reads each event's previous value from its store when asked
   * (a range per event); a log's reader of appends and trims needs none.
   */
  withoutPrevious?: boolean;
}

export interface WatchHandler {
  /** Called with events in revision order; one call may carry several events. */
  onEvents(events: WatchEvent[]): void;
  /** Called once when the watch can no longer continue (CompactedError, store closed, ...). */
  onError(err: Error): void;
  /**
   * Called when the backend knows the watcher has seen everything up to `revision`
   * (used for Kubernetes BOOKMARK events). Optional; backends call it at least on idle periods.
   */
  onProgress?(revision: number): void;
}

export interface Watch {
  /** Stop delivering events. Idempotent. */
  close(): void;
}

/** A compare of a multi-key transaction. `modRevision: 0` means "the key must not exist". */
export interface TxnCompare {
  key: string;
  modRevision: number;
}

export type TxnOp =
  | { type: 'put'; key: string; value: string; lease?: number }
  | { type: 'delete'; key: string };

export interface TxnResult {
  succeeded: boolean;
  /** Revision after the transaction (the one its writes carry when it succeeded). */
  revision: number;
  /** For each put: the written key; for each delete: the deleted key (absent if it did not exist). */
  results: (KeyValue | undefined)[];
}

export interface Store {
  /** The latest value of `key`, or undefined. */
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys starting with `prefix`, in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of keys under prefix. */
  count(prefix: string): Promise<number>;
  /** Create `key`; throws KeyExistsError if it exists. */
  create(key: string, value: string, opts?: PutOptions): Promise<KeyValue>;
  /**
   * Replace `key` if its modRevision equals `expectedRevision`; throws NotFoundError if absent,
   * ConflictError (carrying the current value) if the revision moved.
   */
  update(key: string, value: string, expectedRevision: number, opts?: PutOptions): Promise<KeyValue>;
  /**
   * Delete `key` (only if its modRevision equals `expectedRevision`, when given). Returns the
   * deleted value with `modRevision` set to the delete's revision. Throws NotFoundError / ConflictError.
   */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /** All-or-nothing: if every compare holds, apply every op in one revision. */
  txn(compares: TxnCompare[], ops: TxnOp[]): Promise<TxnResult>;
  /** Watch a prefix (or one key) from a revision. */
  watch(prefix: string, opts: WatchOptions, handler: WatchHandler): Watch;
  /** Grant a lease with a time-to-live in seconds; returns its id. */
  grantLease(ttlSeconds: number): Promise<number>;
  /** Renew a lease for another TTL; throws LeaseNotFoundError if it expired or never existed. */
  keepAlive(lease: number): Promise<void>;
  /** Revoke a lease now, deleting its keys. */
  revokeLease(lease: number): Promise<void>;
  /** The current store revision. */
  currentRevision(): Promise<number>;
  /** Forget history at or before `revision`; watches from older revisions get CompactedError. */
  compact(revision: number): Promise<void>;
  /** Release resources; pending watches get onError(StoreClosedError). */
  close(): Promise<void>;
}

/** Opens a store from a URI: `embedded://DIR` or `etcd://h1:2379,h2:2379`. */
export type StoreFactory = (uri: string) => Promise<Store>;
