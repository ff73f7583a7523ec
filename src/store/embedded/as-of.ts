/**
 * Reading a key range as it was at an earlier revision (paged lists that stay one consistent
 * snapshot). The keyspace holds only the latest values, so the past is the present with every
 * later change undone: the events after the revision, taken newest first, each restore the
 * value before it (a put's `prevKv`, or absence for a create; a delete's `prevKv`).
 */
import type { KeyValue, WatchEvent } from '../types.ts';

export interface AsOfPage {
  items: KeyValue[];
  more: boolean;
}

/**
 * The keys under `prefix` after `startAfter` as of the revision just before `newer` (the events
 * since then, in revision order), given `current`: the same range's keys now, in key order.
 * At most `limit` items.
 */
export function readAsOf(current: Iterable<KeyValue>, newer: readonly WatchEvent[], prefix: string, startAfter: string | undefined, limit: number): AsOfPage {
  const inRange = (key: string): boolean => key.startsWith(prefix) && (startAfter === undefined || key > startAfter);
  // Oldest event last: its "before" is what the key held at the revision.
  const past = new Map<string, KeyValue | undefined>();
  for (let i = newer.length - 1; i >= 0; i--) {
    const ev = newer[i]!;
    if (inRange(ev.kv.key)) past.set(ev.kv.key, ev.prevKv);
  }
  const restored = [...past].flatMap(([, kv]) => (kv ? [kv] : [])).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const items: KeyValue[] = [];
  let r = 0;
  const take = (kv: KeyValue): boolean => {
    if (items.length === limit) return false;
    items.push(kv);
    return true;
  };
  for (const kv of current) {
    if (past.has(kv.key)) continue; // changed since: its past value (if any) is in `restored`
    while (r < restored.length && restored[r]!.key < kv.key) if (!take(restored[r++]!)) return { items, more: true };
    if (!take(kv)) return { items, more: true };
  }
  while (r < restored.length) if (!take(restored[r++]!)) return { items, more: true };
  return { items, more: false };
}
