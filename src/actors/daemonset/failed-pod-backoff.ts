/**
 * Back-off for replacing failed daemon pods, per DaemonSet and node (Kubernetes'
 * failedPodsBackoff: 1 s doubling to 15 min): a daemon that fails at once on one node must not
 * turn into a create/delete loop.
 */

export const INITIAL_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 15 * 60 * 1000;

interface Entry {
  delayMs: number;
  nextAt: number;
}

export class FailedPodBackoff {
  private readonly entries = new Map<string, Entry>();

  /** Ms to wait before the failed pod on `node` may be replaced; 0 = now (and the next wait doubles). */
  take(owner: string, node: string, now: number): number {
    const key = `${owner}\u0000${node}`;
    const entry = this.entries.get(key);
    if (entry && now < entry.nextAt) return entry.nextAt - now;
    const delayMs = entry ? Math.min(entry.delayMs * 2, MAX_BACKOFF_MS) : INITIAL_BACKOFF_MS;
    this.entries.set(key, { delayMs, nextAt: now + delayMs });
    return 0;
  }

  /** The owner is gone: forget its nodes. */
  forget(owner: string): void {
    const prefix = `${owner}\u0000`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
