/**
 * One holder at a time per key (here: per namespace), FIFO. Quota charges of one namespace on
 * one master queue here instead of racing on the quota's compare-and-swap (Kubernetes' quota
 * admission funnels each namespace through one worker for the same reason); masters still race
 * each other, and the compare-and-swap decides.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves with `release` once every earlier holder of `key` released. */
  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      // The last holder leaves no entry behind.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
