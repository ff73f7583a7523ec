/**
 * Conversions between etcd's wire shapes (Buffers, int64 as decimal strings) and the Store's
 * `KeyValue`. Revisions and lease ids fit in a JS number: store revisions (etcd's × 1000) stay far
 * below 2^53 and the store grants leases with ids it picks below 2^53 (see lease.ts).
 */
import type { IEvent, IKeyValue } from 'etcd3';
import type { KeyValue, WatchEvent } from '../types.ts';
import { storeRevision, unframeValue } from './revisions.ts';

export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

/** etcd's "all keys" marker: a range from `\0` to `\0`. */
const ALL_KEYS = Buffer.from([0]);

/** The first key of a prefix range (etcd rejects an empty key). */
export function rangeStart(prefix: string): Buffer {
  return prefix === '' ? ALL_KEYS : keyBytes(prefix);
}

/** The exclusive end of a prefix range: the prefix with its last byte below 0xff incremented. */
export function prefixEnd(prefix: string): Buffer {
  const bytes = keyBytes(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    const byte = bytes[i] ?? 0xff;
    if (byte < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = byte + 1;
      return end;
    }
  }
  return ALL_KEYS;
}

/** Decode etcd's int64 (a decimal string with `longs: String`) into a number. */
export function int(value: string | number | undefined): number {
  return Number(value ?? 0);
}

/**
 * A stored key as the Store shows it: the value without its frame, revisions as store revisions
 * (revisions.ts). The create revision names the creating transaction (its last slot): the Store
 * only compares it between lives of a key, and a key is created at most once per transaction.
 */
export function toKeyValue(kv: IKeyValue): KeyValue {
  const lease = int(kv.lease);
  const { value, back } = unframeValue(kv.value);
  return {
    key: kv.key.toString('utf8'),
    value,
    createRevision: storeRevision(int(kv.create_revision)),
    modRevision: storeRevision(int(kv.mod_revision), back),
    version: int(kv.version),
    ...(lease !== 0 ? { lease } : {}),
  };
}

/**
 * etcd sends a delete event's kv as a bare tombstone (key and revision only); the Store
 * contract wants the last value stamped with the delete's revision, which prev_kv carries.
 */
export function toWatchEvent(event: IEvent): WatchEvent {
  const prevKv = event.prev_kv ? toKeyValue(event.prev_kv) : undefined;
  if (String(event.type).toLowerCase() === 'delete') {
    const tombstone = toKeyValue(event.kv);
    const kv = prevKv ? { ...prevKv, modRevision: tombstone.modRevision } : tombstone;
    return { type: 'delete', kv, ...(prevKv ? { prevKv } : {}) };
  }
  return { type: 'put', kv: toKeyValue(event.kv), ...(prevKv ? { prevKv } : {}) };
}
