/**
 * Durable change events since the compaction point, for `watch({fromRevision})` replay.
 * Bounded: past `limit` events the oldest revisions are compacted automatically.
 */
import type { WatchEvent } from '../types.ts';

export class History {
  private events: WatchEvent[] = [];
  /** Index of the oldest retained event (dropping from the front without shifting the array). */
  private head = 0;

  constructor(
    /** History at or before this revision is gone. */
    public compactRevision: number,
    private readonly limit: number,
  ) {}

  /** Append events (in revision order), compacting the oldest past the limit. */
  append(events: WatchEvent[]): void {
    for (const ev of events) this.events.push(ev);
    const excess = this.events.length - this.head - this.limit;
    // Compact whole revisions: a transaction's events stay together or go together.
    if (excess > 0) this.compact(this.events[this.head + excess - 1]!.kv.modRevision);
  }

  /** Drop events at or before `rev`. */
  compact(rev: number): void {
    if (rev <= this.compactRevision) return;
    this.compactRevision = rev;
    this.head = this.firstAfter(rev);
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /** Events with revision > rev; the caller checks `rev >= compactRevision` first. */
  since(rev: number): WatchEvent[] {
    return this.events.slice(this.firstAfter(rev));
  }

  get size(): number {
    return this.events.length - this.head;
  }

  /** Index of the first retained event with revision > rev. */
  private firstAfter(rev: number): number {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid]!.kv.modRevision <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
