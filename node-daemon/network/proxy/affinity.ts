/**
 * ClientIP affinity across rebuilds. Every sync replaces the whole table, affinity sets
 * included; read their entries first (`nft -j list sets`) and the renderer writes them back
 * with the time they had left, so a change to any service does not re-balance every sticky
 * client. A client pinned between the read and the apply is forgotten (its next connection
 * picks again): a narrow window, against a transaction that would otherwise need per-chain
 * bookkeeping.
 */
import { AFFINITY_SET_PREFIX } from './names.ts';
import type { AffinityCarry, AffinityEntry } from './types.ts';

/** The parts of `nft -j list sets` output read here (libnftables JSON schema 1). */
interface NftJsonSet {
  name?: string;
  elem?: unknown[];
}

/**
 * Parse `nft -j list sets table ip T` into affinity entries per set. Elements without an
 * expiry (none should exist: the sets time out) are skipped; unknown shapes are ignored, never
 * fatal — losing affinity is better than losing the sync.
 */
export function parseAffinitySets(json: string): Map<string, AffinityEntry[]> {
  const out = new Map<string, AffinityEntry[]>();
  let items: unknown;
  try {
    items = (JSON.parse(json) as { nftables?: unknown } | null)?.nftables;
  } catch {
    return out;
  }
  if (!Array.isArray(items)) return out;
  for (const item of items) {
    const set = (item as { set?: NftJsonSet } | null)?.set;
    if (!set?.name?.startsWith(AFFINITY_SET_PREFIX)) continue;
    const entries: AffinityEntry[] = [];
    for (const e of Array.isArray(set.elem) ? set.elem : []) {
      const inner = (e as { elem?: { val?: unknown; expires?: unknown } } | null)?.elem;
      if (typeof inner?.val === 'string' && typeof inner.expires === 'number' && inner.expires > 0) {
        entries.push({ clientIP: inner.val, expiresSeconds: inner.expires });
      }
    }
    if (entries.length) out.set(set.name, entries);
  }
  return out;
}

/** Nothing to carry (no affinity sets, or no table yet). */
export const NO_AFFINITY: AffinityCarry = new Map();
