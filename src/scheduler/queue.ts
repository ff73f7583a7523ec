/**
 * The scheduling queue, as kube-scheduler's PriorityQueue:
 * - activeQ: pods to try now, a heap ordered by priority (`spec.priority`, higher first), then by
 *   when they were queued (earlier first);
 * - backoffQ: pods that failed, a heap ordered by when their backoff ends (`initialBackoffMs`
 *   doubling per attempt to `maxBackoffMs`); one timer, for the earliest, moves them to activeQ;
 * - unschedulable: pods no node fits; parked until a cluster event that may help them
 *   (`moveAllToActiveOrBackoff`: the scheduler calls it on the events that matter — a node
 *   added or made more schedulable, a placed pod gone or finished, storage changing) or until
 *   `flushAfterMs` has passed.
 * Keys are `namespace/name`; a key is in at most one of the three. Every operation is O(log n)
 * in the queue's size, except the move, which is O(parked pods) as kube-scheduler's.
 */
import { KeyedHeap } from './heap.ts';

export interface SchedulingQueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Parked pods are retried after this long even if nothing changed (kube-scheduler: 5 min). */
  flushAfterMs?: number;
}

interface Queued {
  priority: number;
  /** Order of arrival (a counter): FIFO within one priority. */
  seq: number;
}

interface PodRecord {
  priority: number;
  /** Failed attempts since the last success. */
  attempts: number;
  lastFailedAt: number;
}

export class SchedulingQueue {
  private readonly active = new KeyedHeap<Queued>((a, b) => a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq));
  private readonly backoff = new KeyedHeap<number>((a, b) => a < b);
  private readonly unschedulable = new Map<string, number>();
  private readonly records = new Map<string, PodRecord>();
  private seq = 0;
  /** kube-scheduler's schedulingCycle: pops so far; and the cycle of the last move request. */
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  /** key → the scheduling cycle it was popped in. */
  private readonly poppedAt = new Map<string, number>();
  private backoffTimer: NodeJS.Timeout | undefined;
  private backoffTimerAt = Infinity;
  private waiter: ((key: string | undefined) => void) | undefined;
  private closed = false;
  private readonly flushTimer: NodeJS.Timeout;

  constructor(private readonly opts: SchedulingQueueOptions = {}) {
    const flushAfterMs = opts.flushAfterMs ?? 5 * 60_000;
    this.flushTimer = setInterval(() => {
      const now = Date.now();
      for (const [key, parkedAt] of this.unschedulable) if (now - parkedAt >= flushAfterMs) this.requeue(key);
    }, Math.min(flushAfterMs, 30_000));
    this.flushTimer.unref?.();
  }

  /** A pending pod appeared or changed: try it (now, or when its backoff ends). */
  add(key: string, priority = 0): void {
    if (this.closed) return;
    const record = this.records.get(key);
    if (record) record.priority = priority;
    else this.records.set(key, { priority, attempts: 0, lastFailedAt: 0 });
    if (this.active.has(key) || this.backoff.has(key)) return;
    this.unschedulable.delete(key);
    this.pushActive(key);
  }

  /** The pod is gone or no longer pending. */
  delete(key: string): void {
    this.poppedAt.delete(key);
    if (!this.records.delete(key)) return;
    this.unschedulable.delete(key);
    this.backoff.delete(key);
    this.active.delete(key);
  }

  /** The next key to schedule; undefined once closed. */
  pop(): Promise<string | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const next = this.active.pop();
    if (next) return Promise.resolve(this.popped(next.key));
    return new Promise((resolve) => (this.waiter = (key) => resolve(key === undefined ? undefined : this.popped(key))));
  }

  /** Scheduled: forget its failures. */
  done(key: string): void {
    this.poppedAt.delete(key);
    this.records.delete(key);
  }

  /**
   * No node fits: park it until the cluster changes — unless the cluster changed while it was
   * being scheduled (a move request since it was popped: the event that may help it came
   * during the attempt), then it is retried after its backoff, as kube-scheduler's moveRequestCycle.
   */
  markUnschedulable(key: string): void {
    if (this.closed) return;
    this.countFailure(key);
    if (this.moveRequestCycle >= (this.poppedAt.get(key) ?? Infinity)) return this.requeue(key);
    this.unschedulable.set(key, Date.now());
  }

  /** An error (not a fit failure): retry after its backoff. */
  retryLater(key: string): void {
    if (this.closed) return;
    this.countFailure(key);
    this.requeue(key);
  }

  /** A cluster event that may let parked pods fit: each gets another try (after its backoff). */
  moveAllToActiveOrBackoff(): void {
    this.moveRequestCycle = this.schedulingCycle;
    for (const key of [...this.unschedulable.keys()]) this.requeue(key);
  }

  /** Pods in each queue (tests, metrics). */
  get sizes(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.flushTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoff.clear();
    this.waiter?.(undefined);
    this.waiter = undefined;
  }

  private popped(key: string): string {
    this.poppedAt.set(key, ++this.schedulingCycle);
    return key;
  }

  private countFailure(key: string): void {
    const record = this.records.get(key) ?? { priority: 0, attempts: 0, lastFailedAt: 0 };
    record.attempts++;
    record.lastFailedAt = Date.now();
    this.records.set(key, record);
  }

  /** To activeQ, or to backoffQ while the pod's backoff since its last failure has not passed. */
  private requeue(key: string): void {
    this.unschedulable.delete(key);
    if (this.active.has(key) || this.backoff.has(key)) return;
    const record = this.records.get(key);
    if (!record) return;
    const initial = this.opts.initialBackoffMs ?? 1000;
    const backoffMs = record.attempts > 0 ? Math.min(initial * 2 ** (record.attempts - 1), this.opts.maxBackoffMs ?? 10_000) : 0;
    const until = record.lastFailedAt + backoffMs;
    if (record.attempts === 0 || until <= Date.now()) return this.pushActive(key);
    this.backoff.push(key, until);
    this.armBackoffTimer();
  }

  /** One timer, for the earliest backoff to end; it moves every pod whose backoff ended. */
  private armBackoffTimer(): void {
    const first = this.backoff.peek();
    if (!first || first.value >= this.backoffTimerAt) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimerAt = first.value;
    this.backoffTimer = setTimeout(() => this.flushBackoff(), Math.max(0, first.value - Date.now()));
  }

  private flushBackoff(): void {
    this.backoffTimer = undefined;
    this.backoffTimerAt = Infinity;
    const now = Date.now();
    for (let first = this.backoff.peek(); first && first.value <= now; first = this.backoff.peek()) {
      this.backoff.pop();
      this.pushActive(first.key);
    }
    this.armBackoffTimer();
  }

  private pushActive(key: string): void {
    if (this.closed) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(key);
      return;
    }
    this.active.push(key, { priority: this.records.get(key)?.priority ?? 0, seq: this.seq++ });
  }
}
