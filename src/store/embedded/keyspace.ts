/**
 * The embedded store's state machine: live keys, the global revision, leases and the keys
 * attached to them. `apply` is the only way to change it and is deterministic, so the live write
 * path and WAL replay share it and cannot drift apart.
 *
 * Stored `KeyValue` objects are replaced on every write, never mutated, so they can be handed to
 * callers and watchers without copying (callers must treat them as read-only).
 */
import type { KeyValue, WatchEvent } from '../types.ts';
import { CorruptRecordError, type WalRecord } from './records.ts';
import { SortedKeys } from './sorted-keys.ts';

interface LeaseEntry {
  ttlSeconds: number;
  keys: Set<string>;
}

/** Everything a snapshot must hold to rebuild a `Keyspace`. */
export interface KeyspaceImage {
  revision: number;
  compactRevision: number;
  nextLeaseId: number;
  leases: { id: number; ttlSeconds: number }[];
  keys: KeyValue[];
}

export class Keyspace {
  private readonly kvs = new Map<string, KeyValue>();
  private readonly index = new SortedKeys();
  private readonly leases = new Map<number, LeaseEntry>();
  /** Revision of the last applied write. */
  revision = 0;
  /** Highest revision passed to an explicit compaction (persisted; auto-compaction is not). */
  compactRevision = 0;
  /** Lease ids are never reused, even across restarts. */
  nextLeaseId = 1;

  static fromImage(image: KeyspaceImage): Keyspace {
    const ks = new Keyspace();
    ks.revision = image.revision;
    ks.compactRevision = image.compactRevision;
    ks.nextLeaseId = image.nextLeaseId;
    for (const l of image.leases) ks.leases.set(l.id, { ttlSeconds: l.ttlSeconds, keys: new Set() });
    for (const kv of image.keys) {
      ks.kvs.set(kv.key, kv);
      ks.index.insert(kv.key);
      if (kv.lease) ks.leases.get(kv.lease)?.keys.add(kv.key);
    }
    return ks;
  }

  image(): KeyspaceImage {
    return {
      revision: this.revision,
      compactRevision: this.compactRevision,
      nextLeaseId: this.nextLeaseId,
      leases: [...this.leases].map(([id, l]) => ({ id, ttlSeconds: l.ttlSeconds })),
      keys: [...this.kvs.values()],
    };
  }

  get(key: string): KeyValue | undefined {
    return this.kvs.get(key);
  }

  /** Live keys under `prefix` in key order, after `startAfter` when given. */
  *keysUnder(prefix: string, startAfter?: string): Generator<KeyValue> {
    const exclusive = startAfter !== undefined && startAfter >= prefix;
    for (const key of this.index.from(exclusive ? startAfter : prefix, exclusive)) {
      if (!key.startsWith(prefix)) return;
      yield this.kvs.get(key)!;
    }
  }

  count(prefix: string): number {
    if (prefix === '') return this.index.size;
    let n = 0;
    for (const key of this.index.from(prefix)) {
      if (!key.startsWith(prefix)) break;
      n++;
    }
    return n;
  }

  hasLease(id: number): boolean {
    return this.leases.has(id);
  }

  /** Granted TTL of a live lease, undefined when it does not exist. */
  leaseTtl(id: number): number | undefined {
    return this.leases.get(id)?.ttlSeconds;
  }

  /** Live leases with their granted TTL (to re-arm expiry timers after recovery). */
  leaseList(): { id: number; ttlSeconds: number }[] {
    return [...this.leases].map(([id, l]) => ({ id, ttlSeconds: l.ttlSeconds }));
  }

  /** Apply one record; returns the watch events it produced, in order. */
  apply(record: WalRecord): WatchEvent[] {
    switch (record.type) {
      case 'write': {
        this.expectNextRevision(record.rev);
        const events: WatchEvent[] = [];
        for (const c of record.changes) {
          const ev = c.value === undefined ? this.deleteKey(c.key, record.rev) : this.putKey(c.key, c.value, c.lease ?? 0, record.rev);
          if (ev) events.push(ev);
        }
        this.revision = record.rev;
        return events;
      }
      case 'grant':
        this.leases.set(record.id, { ttlSeconds: record.ttlSeconds, keys: new Set() });
        this.nextLeaseId = Math.max(this.nextLeaseId, record.id + 1);
        return [];
      case 'revoke': {
        const lease = this.leases.get(record.id);
        this.leases.delete(record.id);
        if (!lease || lease.keys.size === 0) return [];
        this.expectNextRevision(record.rev);
        // Sorted so that replay emits events in the same order as the live run did.
        const keys = [...lease.keys].sort();
        const events: WatchEvent[] = [];
        for (const key of keys) {
          const ev = this.deleteKey(key, record.rev);
          if (ev) events.push(ev);
        }
        this.revision = record.rev;
        return events;
      }
      case 'compact':
        this.compactRevision = Math.max(this.compactRevision, record.rev);
        return [];
    }
  }

  private expectNextRevision(rev: number): void {
    if (rev !== this.revision + 1) throw new CorruptRecordError(`revision ${rev} does not follow ${this.revision}`);
  }

  private putKey(key: string, value: string, leaseId: number, rev: number): WatchEvent {
    const prev = this.kvs.get(key);
    const lease = leaseId && this.leases.has(leaseId) ? leaseId : 0;
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
      lease,
    };
    if (prev?.lease && prev.lease !== lease) this.leases.get(prev.lease)?.keys.delete(key);
    if (lease) this.leases.get(lease)!.keys.add(key);
    this.kvs.set(key, kv);
    if (!prev) this.index.insert(key);
    return prev ? { type: 'put', kv, prevKv: prev } : { type: 'put', kv };
  }

  private deleteKey(key: string, rev: number): WatchEvent | undefined {
    const prev = this.kvs.get(key);
    if (!prev) return undefined;
    this.kvs.delete(key);
    this.index.remove(key);
    if (prev.lease) this.leases.get(prev.lease)?.keys.delete(key);
    return { type: 'delete', kv: { ...prev, modRevision: rev }, prevKv: prev };
  }
}
