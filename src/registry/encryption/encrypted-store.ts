/**
 * A Store that keeps the values of the configured resources (Secrets by default) encrypted in
 * the store underneath and plain above it: writes seal, reads, lists, watch events and the values
 * errors carry open. Kubernetes does the same in its storage layer (the etcd3 store's value
 * transformer), between the encoded object and etcd; here it sits between the registry's codec
 * and the Store, so every user of the store above it — the registry, informers, the node feed,
 * side writes in transactions — sees plain objects, and nothing below (the embedded store's WAL and
 * snapshots, etcd) ever holds one.
 *
 * A value read through an older key or the identity provider is marked stale
 * (`isStaleValue(kv)`): the registry's update writes it back even when nothing changed, which
 * re-encrypts it under the current key.
 */
import { ConflictError } from '../../store/errors.ts';
import type { KeyValue, ListOptions, ListResult, PutOptions, Store, TxnCompare, TxnOp, TxnResult, Watch, WatchEvent, WatchHandler, WatchOptions } from '../../store/types.ts';
import type { ValueTransformer } from './transformer.ts';

/** Which transformer a store key gets (`EncryptionTransformers`), undefined for values stored as they are. */
export interface KeyTransformers {
  forKey(storeKey: string): ValueTransformer | undefined;
}

const staleValues = new WeakSet<KeyValue>();

/** True when `kv` was read through a provider or key other than the one that seals writes. */
export function isStaleValue(kv: KeyValue): boolean {
  return staleValues.has(kv);
}

/** `store` with the values of `transformers`' resources encrypted at rest. */
export function encryptedStore(store: Store, transformers: KeyTransformers): Store {
  const seal = (key: string, value: string): string => transformers.forKey(key)?.toStorage(value, key) ?? value;

  const open = (kv: KeyValue): KeyValue => {
    const t = transformers.forKey(kv.key);
    if (!t) return kv;
    const { value, stale } = t.fromStorage(kv.value, kv.key);
    const plain = { ...kv, value };
    if (stale) staleValues.add(plain);
    return plain;
  };

  const openMaybe = (kv: KeyValue | undefined): KeyValue | undefined => (kv ? open(kv) : undefined);

  /** A ConflictError carries the current value: opened like every other read. */
  const openError = (err: unknown): unknown => (err instanceof ConflictError && err.current ? new ConflictError(err.key, err.expectedRevision, open(err.current)) : err);

  /** The stored key as written, with the caller's plain value (no need to decrypt what we just sealed). */
  const asWritten = (kv: KeyValue, plain: string): KeyValue => (kv.value === plain ? kv : { ...kv, value: plain });

  return {
    get: async (key) => openMaybe(await store.get(key)),
    async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
      const result = await store.list(prefix, opts);
      return { ...result, items: result.items.map(open) };
    },
    count: (prefix) => store.count(prefix),
    async create(key: string, value: string, opts?: PutOptions): Promise<KeyValue> {
      return asWritten(await store.create(key, seal(key, value), opts), value);
    },
    async update(key: string, value: string, expectedRevision: number, opts?: PutOptions): Promise<KeyValue> {
      try {
        return asWritten(await store.update(key, seal(key, value), expectedRevision, opts), value);
      } catch (err) {
        throw openError(err);
      }
    },
    async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
      try {
        return open(await store.delete(key, expectedRevision));
      } catch (err) {
        throw openError(err);
      }
    },
    async txn(compares: TxnCompare[], ops: TxnOp[]): Promise<TxnResult> {
      const sealed = ops.map((op): TxnOp => (op.type === 'put' ? { ...op, value: seal(op.key, op.value) } : op));
      const result = await store.txn(compares, sealed);
      const results = result.results.map((kv, i) => {
        const op = ops[i];
        if (!kv) return kv;
        return op?.type === 'put' ? asWritten(kv, op.value) : open(kv);
      });
      return { ...result, results };
    },
    watch(prefix: string, opts: WatchOptions, handler: WatchHandler): Watch {
      let failed = false;
      const inner: Watch = store.watch(prefix, opts, {
        onEvents(events: WatchEvent[]) {
          if (failed) return;
          let opened: WatchEvent[];
          try {
            opened = events.map((ev) => ({ ...ev, kv: open(ev.kv), ...(ev.prevKv ? { prevKv: open(ev.prevKv) } : {}) }));
          } catch (err) {
            // A value no key opens ends the watch, as a read of it fails: the watcher re-lists and gets the error.
            failed = true;
            queueMicrotask(() => inner.close());
            handler.onError(err as Error);
            return;
          }
          handler.onEvents(opened);
        },
        onError: (err) => {
          if (!failed) handler.onError(err);
        },
        ...(handler.onProgress ? { onProgress: (rev: number) => handler.onProgress?.(rev) } : {}),
      });
      return inner;
    },
    grantLease: (ttl) => store.grantLease(ttl),
    keepAlive: (lease) => store.keepAlive(lease),
    revokeLease: (lease) => store.revokeLease(lease),
    currentRevision: () => store.currentRevision(),
    compact: (rev) => store.compact(rev),
    close: () => store.close(),
  };
}
