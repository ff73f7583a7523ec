/**
 * What the controller last wrote to each Service's slices, so a sync never runs on an informer
 * cache that has not caught up with its own writes (Kubernetes' endpointSliceTracker): a slice
 * it created that the cache lacks would be created again (slices are named by generateName).
 * While the cache is behind, the sync is skipped; the informer event that catches it up queues
 * the Service again. An expectation older than `maxAgeMs` is dropped: a write the cache never
 * showed (created and deleted again while its watch was re-listing) must not stall the Service.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';

interface Expected {
  /** The revision the cache must reach, or 'deleted' when the slice must be gone. */
  want: number | 'deleted';
  /** When the write was made (epoch ms). */
  at: number;
}

/** How long an unmet expectation holds back a Service's syncs (default 10 s). */
const DEFAULT_MAX_AGE_MS = 10_000;

export class SliceTracker {
  private readonly byService = new Map<string, Map<string, Expected>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = DEFAULT_MAX_AGE_MS,
  ) {}

  /** The controller wrote `slice` (created or updated): the cache must show this revision or a later one. */
  written(serviceKey: string, slice: EndpointSlice): void {
    const name = slice.metadata?.name;
    if (!name) return;
    this.entries(serviceKey).set(name, { want: Number(slice.metadata?.resourceVersion ?? 0), at: this.now() });
  }

  /** The controller deleted the slice `name`: the cache must not show it any more. */
  deleted(serviceKey: string, name: string): void {
    this.entries(serviceKey).set(name, { want: 'deleted', at: this.now() });
  }

  /** The informer saw `name` deleted (by anyone): nothing more to wait for about it. */
  observedDeletion(serviceKey: string, name: string): void {
    this.byService.get(serviceKey)?.delete(name);
  }

  /**
   * True while `cached` (the informer's slices of this Service, by name) lags behind a write of
   * this controller. Expectations the cache has met are dropped.
   */
  stale(serviceKey: string, cached: ReadonlyMap<string, EndpointSlice>): boolean {
    const expected = this.byService.get(serviceKey);
    if (!expected) return false;
    let stale = false;
    for (const [name, { want, at }] of expected) {
      const have = cached.get(name);
      const caughtUp = want === 'deleted' ? !have : have !== undefined && Number(have.metadata?.resourceVersion ?? 0) >= want;
      if (caughtUp || this.now() - at > this.maxAgeMs) expected.delete(name);
      else stale = true;
    }
    if (expected.size === 0) this.byService.delete(serviceKey);
    return stale;
  }

  forget(serviceKey: string): void {
    this.byService.delete(serviceKey);
  }

  private entries(serviceKey: string): Map<string, Expected> {
    let m = this.byService.get(serviceKey);
    if (!m) this.byService.set(serviceKey, (m = new Map()));
    return m;
  }
}
