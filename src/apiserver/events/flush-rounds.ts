/**
 * When live stream clients' frames are written: in rounds, every client with frames written once
 * per round, and rounds at most every `intervalMs`. A round starts at once (the next turn of the
 * event loop) when the last one was longer ago than that, so a quiet stream adds no delay; under
 * load each client's frames of the interval go out as one TLS write instead of one each.
 *
 * Why: the kernel's socket write (TLS record, syscall, on loopback the receiver's TCP path too)
 * is the fan-out's cost, ~10 µs a write on the bench machine, whatever its size. At 5,000
 * transitions/s to 1,000 clients of 50/s each, writing every turn meant ~40,000 writes/s and the
 * master's thread saturated (bench/events.ts: p99 187 ms); rounds of 15 ms cut the writes to
 * about a third and leave the thread room (bench/README.md).
 */
export interface Flushable {
  flush(): void;
}

export class FlushRounds {
  private readonly dirty = new Set<Flushable>();
  private scheduled = false;
  private lastRound = -Infinity;

  constructor(private readonly intervalMs: number, private readonly now: () => number = () => performance.now()) {}

  /** `client` has frames to write: it is written in the next round. */
  schedule(client: Flushable): void {
    this.dirty.add(client);
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastRound + this.intervalMs - this.now();
    if (wait > 0) setTimeout(this.round, wait);
    else setImmediate(this.round);
  }

  /** `client` is gone: nothing of it is written. */
  forget(client: Flushable): void {
    this.dirty.delete(client);
  }

  private readonly round = (): void => {
    this.scheduled = false;
    this.lastRound = this.now();
    const clients = [...this.dirty];
    this.dirty.clear();
    for (const c of clients) c.flush();
  };
}
