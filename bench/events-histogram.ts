/**
 * A latency histogram for bench/events.ts: 0.1 ms buckets up to 60 s (beyond: the last bucket),
 * cheap to record millions of values into, and sent between processes as its non-empty buckets.
 */

const BUCKET_MS = 0.1;
const BUCKETS = 600_000;

/** Non-empty buckets as [bucket, count] pairs: what crosses the process boundary. */
export type HistogramPairs = [number, number][];

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;

  record(ms: number): void {
    const b = Math.min(BUCKETS - 1, Math.max(0, Math.floor(ms / BUCKET_MS)));
    this.counts[b]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  pairs(): HistogramPairs {
    const out: HistogramPairs = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) out.push([i, this.counts[i]!]);
    return out;
  }

  add(pairs: HistogramPairs, max: number): void {
    for (const [b, n] of pairs) {
      this.counts[b]! += n;
      this.count += n;
    }
    if (max > this.max) this.max = max;
  }

  /** The upper edge of the bucket holding quantile `q` (0..1), in ms; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return (i + 1) * BUCKET_MS;
    }
    return this.max;
  }
}
