/**
 * A binary heap of keyed items (kube-scheduler's internal/heap): push, pop the least, update
 * or delete by key in O(log n), look up by key in O(1). The scheduling queue's activeQ (by
 * priority, then arrival) and backoffQ (by backoff expiry) are two of these.
 */
export class KeyedHeap<T> {
  private readonly items: { key: string; value: T }[] = [];
  private readonly positions = new Map<string, number>();

  /** `less(a, b)`: a comes out before b. */
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  has(key: string): boolean {
    return this.positions.has(key);
  }

  get(key: string): T | undefined {
    const i = this.positions.get(key);
    return i === undefined ? undefined : this.items[i]?.value;
  }

  /** Adds the item, or replaces the one with the same key (and moves it to its new place). */
  push(key: string, value: T): void {
    const at = this.positions.get(key);
    if (at !== undefined) {
      this.items[at] = { key, value };
      this.fix(at);
      return;
    }
    this.items.push({ key, value });
    this.positions.set(key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  /** The least item without removing it. */
  peek(): { key: string; value: T } | undefined {
    return this.items[0];
  }

  pop(): { key: string; value: T } | undefined {
    const top = this.items[0];
    if (top) this.removeAt(0);
    return top;
  }

  delete(key: string): boolean {
    const at = this.positions.get(key);
    if (at === undefined) return false;
    this.removeAt(at);
    return true;
  }

  keys(): IterableIterator<string> {
    return this.positions.keys();
  }

  clear(): void {
    this.items.length = 0;
    this.positions.clear();
  }

  private removeAt(i: number): void {
    const last = this.items.length - 1;
    const removed = this.items[i] as { key: string };
    if (i !== last) this.swap(i, last);
    this.items.pop();
    this.positions.delete(removed.key);
    if (i < this.items.length) this.fix(i);
  }

  private fix(i: number): void {
    if (!this.up(i)) this.down(i);
  }

  private up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.at(i), this.at(parent))) break;
      this.swap(i, parent);
      i = parent;
      moved = true;
    }
    return moved;
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.less(this.at(right), this.at(left)) ? right : left;
      if (!this.less(this.at(child), this.at(i))) return;
      this.swap(i, child);
      i = child;
    }
  }

  private at(i: number): T {
    return (this.items[i] as { value: T }).value;
  }

  private swap(i: number, j: number): void {
    const a = this.items[i] as { key: string; value: T };
    const b = this.items[j] as { key: string; value: T };
    this.items[i] = b;
    this.items[j] = a;
    this.positions.set(b.key, i);
    this.positions.set(a.key, j);
  }
}
