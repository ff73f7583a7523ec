/**
 * What the write-ahead log holds: one record per committed change, encoded with msgpackr as a
 * compact tuple. Replaying the records in order through `Keyspace.apply` rebuilds the state
 * exactly, so a record carries only what cannot be derived (create revisions and versions are
 * recomputed on replay).
 */
import { Packr } from 'msgpackr';

/** One key change of a write: a put when `value` is set, else a delete. */
export interface KeyChange {
  key: string;
  value?: string;
  /** Lease the put attaches the key to (0: none). */
  lease?: number;
}

export type WalRecord =
  /** Puts and deletes that together take revision `rev`. */
  | { type: 'write'; rev: number; changes: KeyChange[] }
  /** A lease was granted. */
  | { type: 'grant'; id: number; ttlSeconds: number }
  /** A lease was revoked or expired; its keys are deleted at `rev` (unused when it had none). */
  | { type: 'revoke'; id: number; rev: number }
  /** History at or before `rev` was compacted. */
  | { type: 'compact'; rev: number };

const packr = new Packr({ useRecords: false });

const WRITE = 0;
const GRANT = 1;
const REVOKE = 2;
const COMPACT = 3;

/** A record that failed to decode although its checksum held: a bug or foreign file, not a torn write. */
export class CorruptRecordError extends Error {
  constructor(detail: string) {
    super(`corrupt WAL record: ${detail}`);
    this.name = 'CorruptRecordError';
  }
}

export function encodeRecord(record: WalRecord): Buffer {
  switch (record.type) {
    case 'write': {
      const flat: unknown[] = [WRITE, record.rev];
      // Deletes as [key], puts as [key, value, lease]: the shortest shape that stays unambiguous.
      for (const c of record.changes) flat.push(c.value === undefined ? [c.key] : [c.key, c.value, c.lease ?? 0]);
      return packr.pack(flat);
    }
    case 'grant':
      return packr.pack([GRANT, record.id, record.ttlSeconds]);
    case 'revoke':
      return packr.pack([REVOKE, record.id, record.rev]);
    case 'compact':
      return packr.pack([COMPACT, record.rev]);
  }
}

export function decodeRecord(payload: Uint8Array): WalRecord {
  const flat: unknown = packr.unpack(payload);
  if (!Array.isArray(flat) || typeof flat[0] !== 'number') throw new CorruptRecordError('not a tuple');
  const tag = flat[0];
  switch (tag) {
    case WRITE: {
      const changes: KeyChange[] = [];
      for (let i = 2; i < flat.length; i++) {
        const c: unknown = flat[i];
        if (!Array.isArray(c) || typeof c[0] !== 'string') throw new CorruptRecordError('bad change');
        changes.push(c.length === 1 ? { key: c[0] } : { key: c[0], value: String(c[1]), lease: Number(c[2]) });
      }
      return { type: 'write', rev: num(flat[1]), changes };
    }
    case GRANT:
      return { type: 'grant', id: num(flat[1]), ttlSeconds: num(flat[2]) };
    case REVOKE:
      return { type: 'revoke', id: num(flat[1]), rev: num(flat[2]) };
    case COMPACT:
      return { type: 'compact', rev: num(flat[1]) };
    default:
      throw new CorruptRecordError(`unknown tag ${String(tag)}`);
  }
}

function num(v: unknown): number {
  if (typeof v !== 'number') throw new CorruptRecordError('expected a number');
  return v;
}

/** msgpack with plain maps and arrays, shared by the snapshot file. */
export function packValue(value: unknown): Buffer {
  return packr.pack(value);
}

export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
