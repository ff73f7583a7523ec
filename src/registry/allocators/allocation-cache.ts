/**
 * What this process knows is taken, so dynamic picks rarely collide: an informer over every
 * allocation record (Kubernetes' IPAddress informer), plus the picks this process has in flight
 * or just committed (the informer has not seen them yet). The cache only guides picks; the store
 * transaction's create-if-absent is the authority, and a pick that loses a race is retried.
 */
import { Informer } from '../../store/informer.ts';
import type { KeyValue, Store } from '../../store/types.ts';
import { ALLOCATIONS_PREFIX, decodeOwner, type AllocationOwner } from './records.ts';

/** How long a committed pick counts as taken before the informer must have caught up. */
const PENDING_TTL_MS = 30_000;

export class AllocationCache {
  /** Record key → its owner (null for a value that names none: still taken). */
  private readonly informer: Informer<AllocationOwner | null>;
  /** Keys picked by this process, until when they count as taken. */
  private readonly pending = new Map<string, number>();
  private starting: Promise<void> | undefined;

  constructor(
    store: Store,
    private readonly now: () => number = Date.now,
  ) {
    // Once the informer has seen a pick, it speaks for it (including its later release).
    const seen = (_: unknown, key: string): void => void this.pending.delete(key);
    this.informer = new Informer({
      store,
      prefix: ALLOCATIONS_PREFIX,
      decode: (kv: KeyValue) => decodeOwner(kv) ?? null,
      handlers: { onAdd: (o, key) => seen(o, key), onUpdate: (_o, n, key) => seen(n, key) },
    });
  }

  /** Starts the informer on first use; resolves once it has listed. */
  ready(): Promise<void> {
    this.starting ??= this.informer.start();
    return this.starting;
  }

  stop(): void {
    this.informer.stop();
  }

  /** True when the key is known held (by anyone) or picked here and not yet seen. */
  isTaken(key: string): boolean {
    if (this.informer.get(key) !== undefined) return true;
    const until = this.pending.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.pending.delete(key);
    return false;
  }

  /** The owner the cache knows for `key` (may lag the store). */
  ownerOf(key: string): AllocationOwner | undefined {
    return this.informer.get(key) ?? undefined;
  }

  /** Marks keys as picked here (so concurrent requests of this process skip them). */
  hold(keys: readonly string[]): void {
    const until = this.now() + PENDING_TTL_MS;
    for (const k of keys) this.pending.set(k, until);
  }

  /** The picks were not committed: they are free again as far as this process knows. */
  drop(keys: readonly string[]): void {
    for (const k of keys) this.pending.delete(k);
  }
}
