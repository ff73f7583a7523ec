/**
 * Expiry deadlines of leases. Deadlines are in memory only: after a restart every lease gets a
 * fresh full TTL (as etcd does after a leader change), so a restart never expires a lease whose
 * holder kept it alive.
 */
import type { Clock, TimerHandle } from './clock.ts';

export class LeaseTimers {
  private readonly timers = new Map<number, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (id: number) => void,
  ) {}

  /** (Re)start lease `id`'s countdown of `ttlSeconds`. */
  arm(id: number, ttlSeconds: number): void {
    this.disarm(id);
    this.timers.set(
      id,
      this.clock.setTimer(() => {
        this.timers.delete(id);
        this.onExpire(id);
      }, ttlSeconds * 1000),
    );
  }

  disarm(id: number): void {
    const t = this.timers.get(id);
    if (t === undefined) return;
    this.clock.clearTimer(t);
    this.timers.delete(id);
  }

  disarmAll(): void {
    for (const t of this.timers.values()) this.clock.clearTimer(t);
    this.timers.clear();
  }
}
