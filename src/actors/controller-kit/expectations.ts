/**
 * Expectations (Kubernetes' UIDTrackingControllerExpectations): the creates and deletes a
 * controller has issued for an owner and not yet seen come back through its informer. While
 * any are outstanding the owner is not managed again, so a slow watch never makes the controller
 * create or delete twice. Creates are counted; deletes are tracked by pod uid, because a pod is
 * seen going twice (marked terminating, then gone). Expectations older than `ttlMs` count as
 * met: a lost event delays the controller, never stops it.
 */

interface Expected {
  creates: number;
  deletes: Set<string>;
  setAt: number;
}

/** Kubernetes' ExpectationsTimeout. */
export const DEFAULT_EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

export class Expectations {
  private readonly byOwner = new Map<string, Expected>();

  constructor(
    private readonly now: () => number = Date.now,
    readonly ttlMs: number = DEFAULT_EXPECTATIONS_TTL_MS,
  ) {}

  /** True when `owner` may be managed: nothing outstanding, or what is has expired. */
  satisfied(owner: string): boolean {
    const e = this.byOwner.get(owner);
    if (!e) return true;
    return (e.creates <= 0 && e.deletes.size === 0) || this.now() - e.setAt > this.ttlMs;
  }

  /** About to create `count` pods for `owner` (replaces whatever was expected). */
  expectCreations(owner: string, count: number): void {
    this.byOwner.set(owner, { creates: count, deletes: new Set(), setAt: this.now() });
  }

  /** About to delete the pods with these uids for `owner` (replaces whatever was expected). */
  expectDeletions(owner: string, uids: readonly string[]): void {
    this.byOwner.set(owner, { creates: 0, deletes: new Set(uids), setAt: this.now() });
  }

  /** A pod owned by `owner` appeared, or a create was not made after all. */
  creationObserved(owner: string): void {
    const e = this.byOwner.get(owner);
    if (e) e.creates--;
  }

  /** The pod `uid` of `owner` is going or gone, or its delete was not made after all. */
  deletionObserved(owner: string, uid: string): void {
    this.byOwner.get(owner)?.deletes.delete(uid);
  }

  /** The owner is gone: forget it. */
  forget(owner: string): void {
    this.byOwner.delete(owner);
  }
}
