/**
 * One write's allocation plan: the record keys it claims (create-if-absent, naming the Service)
 * and the keys it releases (deleted only if still this Service's, pinned to the revision read).
 * Turned into the side writes of the Service's own store transaction (../write-hooks.ts).
 */
import { ApiError, type FieldError } from '../../api/status.ts';
import type { Store } from '../../store/types.ts';
import type { SideWrites } from '../write-hooks.ts';
import type { AllocationCache } from './allocation-cache.ts';
import { decodeOwner, encodeOwner, sameOwner, type AllocationOwner } from './records.ts';

/** What to answer when a value the request asked for turns out to be held by another Service. */
export type TakenError = () => ApiError;

interface Claim {
  key: string;
  /** Set for values the request named; absent for dynamic picks (retried instead). */
  taken?: TakenError;
}

export class AllocationPlan {
  private readonly claims: Claim[] = [];
  private readonly releases: { key: string; modRevision: number }[] = [];

  constructor(
    private readonly store: Store,
    private readonly cache: AllocationCache,
    readonly owner: AllocationOwner,
  ) {}

  /** True when this plan already claims `key`. */
  isClaimed(key: string): boolean {
    return this.claims.some((c) => c.key === key);
  }

  /**
   * Claims a value the request named. The cache may lag a release, so only the store decides
   * whether another Service holds it (explainFailure, after the transaction fails).
   */
  claimRequested(key: string, taken: TakenError): void {
    if (this.isClaimed(key)) throw taken();
    this.claims.push({ key, taken });
  }

  /** Claims the first free candidate key; undefined when every candidate is taken. */
  claimFirstFree<T>(candidates: Iterable<T>, keyOf: (value: T) => string): T | undefined {
    for (const value of candidates) {
      const key = keyOf(value);
      if (this.isClaimed(key) || this.cache.isTaken(key)) continue;
      this.claims.push({ key });
      return value;
    }
    return undefined;
  }

  /** Releases `key` with this write when the store says this Service holds it. */
  async release(key: string): Promise<void> {
    if (this.releases.some((r) => r.key === key)) return;
    const kv = await this.store.get(key);
    if (kv && sameOwner(decodeOwner(kv), this.owner)) this.releases.push({ key, modRevision: kv.modRevision });
  }

  /** The side writes of the Service's transaction. Under dry run nothing is held or written. */
  sideWrites(dryRun: boolean): SideWrites {
    const value = encodeOwner(this.owner);
    const claimed = this.claims.map((c) => c.key);
    if (!dryRun) this.cache.hold(claimed);
    return {
      compares: [...this.claims.map((c) => ({ key: c.key, modRevision: 0 })), ...this.releases.map((r) => ({ key: r.key, modRevision: r.modRevision }))],
      ops: [...this.claims.map((c) => ({ type: 'put' as const, key: c.key, value })), ...this.releases.map((r) => ({ type: 'delete' as const, key: r.key }))],
      settle: (committed) => {
        if (!committed) this.cache.drop(claimed);
      },
      explainFailure: () => this.explainFailure(),
    };
  }

  /** After a failed transaction: a named value held by another Service is the answer; a lost dynamic pick is retried. */
  private async explainFailure(): Promise<void> {
    for (const claim of this.claims) {
      const kv = await this.store.get(claim.key);
      if (!kv || sameOwner(decodeOwner(kv), this.owner)) continue;
      if (claim.taken) throw claim.taken();
      // Someone else got there first: skip it on the next attempt even before the informer shows it.
      this.cache.hold([claim.key]);
    }
  }
}

/** 422 naming one field, for `Service "x" is invalid: …`. */
export function invalidService(name: string, errors: FieldError[]): ApiError {
  return ApiError.invalid({ group: '', kind: 'Service' }, name, errors);
}
