/**
 * The scheduling queue (kube-scheduler's three queues, first cut):
 * - active: pods to try now, FIFO;
 * - backoff: pods that failed, waiting `initialBackoffMs` doubling to `maxBackoffMs` per attempt;
 * - unschedulable: pods no node fits; they stay parked until the cluster changes
 *   (`moveAllToActiveOrBackoff`: a node joins or changes, a pod leaves) or `flushAfterMs` passes.
 * Keys are `namespace/name`. A key is in at most one queue.
 */

export interface SchedulingQueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Parked pods are retried after this long even if nothing changed (kube-scheduler: 5 min). */
  flushAfterMs?: number;
}

interface Attempts {
  count: number;
  lastFailedAt: number;
}

export class SchedulingQueue {
  private readonly active: string[] = [];
  private readonly activeSet = new Set<string>();
  private readonly backoff = new Map<string, NodeJS.Timeout>();
  private readonly unschedulable = new Map<string, number>();
  private readonly attempts = new Map<string, Attempts>();
  private waiter: ((key: string | undefined) => void) | undefined;
  private closed = false;
  private readonly flushTimer: NodeJS.Timeout;

  constructor(private readonly opts: SchedulingQueueOptions = {}) {
    const flushAfterMs = opts.flushAfterMs ?? 5 * 60_000;
    this.flushTimer = setInterval(() => {
      const now = Date.now();
      for (const [key, parkedAt] of this.unschedulable) if (now - parkedAt >= flushAfterMs) this.requeue(key);
    }, Math.min(flushAfterMs, 30_000));
  }

  /** A pending pod appeared or changed: try it (now, or when its backoff ends). */
  add(key: string): void {
    if (this.closed || this.activeSet.has(key) || this.backoff.has(key)) return;
    this.unschedulable.delete(key);
    this.pushActive(key);
  }

  /** The pod is gone or no longer pending. */
  delete(key: string): void {
    this.unschedulable.delete(key);
    this.attempts.delete(key);
    const timer = this.backoff.get(key);
    if (timer) clearTimeout(timer);
    this.backoff.delete(key);
    if (this.activeSet.delete(key)) this.active.splice(this.active.indexOf(key), 1);
  }

  /** The next key to schedule; undefined once closed. */
  pop(): Promise<string | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const key = this.active.shift();
    if (key !== undefined) {
      this.activeSet.delete(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Scheduled: forget its failures. */
  done(key: string): void {
    this.attempts.delete(key);
  }

  /** No node fits: park it until the cluster changes. */
  markUnschedulable(key: string): void {
    if (this.closed) return;
    this.countFailure(key);
    this.unschedulable.set(key, Date.now());
  }

  /** An error (not a fit failure): retry after its backoff. */
  retryLater(key: string): void {
    if (this.closed) return;
    this.countFailure(key);
    this.requeue(key);
  }

  /** The cluster changed: every parked pod gets another try (after its backoff). */
  moveAllToActiveOrBackoff(): void {
    for (const key of [...this.unschedulable.keys()]) this.requeue(key);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.flushTimer);
    for (const timer of this.backoff.values()) clearTimeout(timer);
    this.backoff.clear();
    this.waiter?.(undefined);
    this.waiter = undefined;
  }

  private countFailure(key: string): void {
    const a = this.attempts.get(key);
    this.attempts.set(key, { count: (a?.count ?? 0) + 1, lastFailedAt: Date.now() });
  }

  /** To active, or to backoff while the pod's backoff since its last failure has not passed. */
  private requeue(key: string): void {
    this.unschedulable.delete(key);
    if (this.activeSet.has(key) || this.backoff.has(key)) return;
    const a = this.attempts.get(key);
    const initial = this.opts.initialBackoffMs ?? 1000;
    const backoffMs = a ? Math.min(initial * 2 ** (a.count - 1), this.opts.maxBackoffMs ?? 10_000) : 0;
    const waitMs = a ? a.lastFailedAt + backoffMs - Date.now() : 0;
    if (waitMs <= 0) return this.pushActive(key);
    this.backoff.set(
      key,
      setTimeout(() => {
        this.backoff.delete(key);
        this.pushActive(key);
      }, waitMs),
    );
  }

  private pushActive(key: string): void {
    if (this.closed) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(key);
      return;
    }
    this.active.push(key);
    this.activeSet.add(key);
  }
}
