/**
 * Store revisions on etcd. The store commits concurrent single-key writes as one etcd
 * transaction (write-batch.ts), and every write in a transaction shares etcd's revision; the
 * Store contract wants each write its own revision, so that a watch resumed from any event's
 * revision (a Kubernetes resourceVersion) misses none of the others. So a store revision is
 *
 *     etcd revision × SLOTS − back
 *
 * where `back` counts the transaction's writes after this one: the last (and a lone) write has
 * back 0 and so the revision `etcd revision × SLOTS`, which is also the store revision of the
 * whole etcd revision (header revisions, lists, progress). Revisions read as decimals keep etcd's
 * in front: 4821000 is etcd revision 4821; 4820998 the third-to-last write of that transaction.
 *
 * `back` is stored in front of the value (`frameValue`), since a read of one key cannot see the
 * transaction it came from; values of lone writes stay as they were, so etcdctl shows them as-is.
 */
import { CompareResult, CompareTarget, type ICompare } from 'etcd3';
import { keyBytes } from './codec.ts';

/** Store revisions per etcd revision: more than any transaction's writes (etcd allows 128 ops). */
export const SLOTS = 1000;

/** The store revision of a write `back` writes before the end of the transaction at `etcdRevision`. */
export function storeRevision(etcdRevision: number, back = 0): number {
  return etcdRevision * SLOTS - back;
}

/** The etcd revision that holds store revision `revision`. */
export function etcdRevisionOf(revision: number): number {
  return Math.ceil(revision / SLOTS);
}

/** The first etcd revision that can hold a store revision after `revision` (etcd starts at 1). */
export function etcdRevisionAfter(revision: number): number {
  return Math.max(1, etcdRevisionOf(revision + 1));
}

/**
 * A framed value is NUL, `back` in ASCII digits, NUL, the value. A value that is empty or starts
 * with NUL is framed even at back 0, with 0xff for the digits, so that reading stays unambiguous
 * and so that "back 0" is one byte range for compares (see `backIs`).
 */
const NUL = 0x00;
const BACK_ZERO = 0xff;

export function frameValue(value: string, back: number): Buffer {
  const bytes = keyBytes(value);
  if (back === 0 && bytes.length > 0 && bytes[0] !== NUL) return bytes;
  const head = back === 0 ? Buffer.from([NUL, BACK_ZERO, NUL]) : Buffer.from(`\0${back}\0`, 'latin1');
  return Buffer.concat([head, bytes]);
}

/** The value and its `back` from stored bytes (unframed values are back 0). */
export function unframeValue(stored: Buffer): { value: string; back: number } {
  if (stored.length === 0 || stored[0] !== NUL) return { value: stored.toString('utf8'), back: 0 };
  const end = stored.indexOf(NUL, 1);
  if (stored[1] === BACK_ZERO) return { value: stored.subarray(3).toString('utf8'), back: 0 };
  return { value: stored.subarray(end + 1).toString('utf8'), back: Number(stored.subarray(1, end).toString('latin1')) };
}

function valueCompare(key: string, result: CompareResult, bound: Buffer): ICompare {
  return { key: keyBytes(key), target: CompareTarget.Value, result, value: bound };
}

/**
 * Compares that hold iff `key` is at store revision `revision` (> 0): etcd's mod_revision, plus
 * the stored `back` as a byte range of the value, since several writes share a mod_revision and
 * a revision this key never had must still fail. Byte order: unframed values start at 0x01 or
 * above, and every frame but back 0's has a digit after the NUL.
 */
export function isAtRevision(key: string, revision: number): ICompare[] {
  const mod: ICompare = { key: keyBytes(key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: etcdRevisionOf(revision) };
  const back = storeRevision(etcdRevisionOf(revision)) - revision;
  if (back === 0) return [mod, valueCompare(key, CompareResult.Greater, Buffer.from([NUL, BACK_ZERO]))];
  const prefix = Buffer.from(`\0${back}`, 'latin1');
  return [
    mod,
    valueCompare(key, CompareResult.Greater, prefix),
    valueCompare(key, CompareResult.Less, Buffer.concat([prefix, Buffer.from([0x01])])),
  ];
}
