/**
 * The set of live keys in sorted order, for prefix lists and counts without sorting per request.
 *
 * A list of sorted chunks (at most `MAX_CHUNK` keys each): insert and remove cost a binary
 * search over chunks, one inside a chunk and a splice of at most `MAX_CHUNK` entries, so a write
 * never pays O(n). Order is JavaScript string order (UTF-16 code units), which equals etcd's
 * byte order for the ASCII keys kactus uses.
 */
const MAX_CHUNK = 512;

export class SortedKeys {
  private chunks: string[][] = [];
  private total = 0;

  get size(): number {
    return this.total;
  }

  /** Add `key`; the caller guarantees it is absent. */
  insert(key: string): void {
    this.total++;
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      return;
    }
    // The chunk whose range covers key, or the last chunk when key sorts after everything.
    let ci = this.chunkFor(key);
    if (ci === this.chunks.length) ci--;
    const chunk = this.chunks[ci]!;
    chunk.splice(lowerBound(chunk, key), 0, key);
    if (chunk.length > MAX_CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(chunk.length >> 1));
  }

  /** Remove `key` if present. */
  remove(key: string): void {
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    if (!chunk) return;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return;
    chunk.splice(i, 1);
    this.total--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
  }

  /** Keys in order starting at the first key >= `from` (or > `from` when `exclusive`). */
  *from(from: string, exclusive = false): Generator<string> {
    let ci = this.chunkFor(from);
    const first = this.chunks[ci];
    if (!first) return;
    let i = lowerBound(first, from);
    if (exclusive && first[i] === from) i++;
    for (; ci < this.chunks.length; ci++, i = 0) {
      const chunk = this.chunks[ci]!;
      for (; i < chunk.length; i++) yield chunk[i]!;
    }
  }

  /** Index of the first chunk whose last key is >= key (chunks.length if none). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid]!;
      if (chunk[chunk.length - 1]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** First index in sorted `arr` whose value is >= key. */
function lowerBound(arr: string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
