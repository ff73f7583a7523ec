/**
 * The clock the Job and CronJob controllers read time from and set timers on. Production uses
 * the system clock; tests pass xstate's `SimulatedClock` (same shape) and move it, so deadlines,
 * TTLs and schedules minutes apart take no real time.
 */

export interface ControllerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The system's timers, reading the time from `now` (ControllerDeps.now). Timers do not keep the process alive. */
export function systemClock(now: () => Date = () => new Date()): ControllerClock {
  return {
    now: () => now().getTime(),
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, ms);
      t.unref();
      return t;
    },
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}

/**
 * One pending wake-up per key on a ControllerClock (client-go's AddAfter, deduplicated): asking
 * again for a key keeps whichever wake-up comes first, so a controller can ask on every sync
 * without piling up timers.
 */
export class WakeUps {
  private readonly pending = new Map<string, { at: number; handle: unknown }>();

  constructor(
    private readonly clock: ControllerClock,
    private readonly wake: (key: string) => void,
  ) {}

  /** Calls `wake(key)` at epoch ms `at` (now, if that has passed). */
  at(key: string, at: number): void {
    const current = this.pending.get(key);
    if (current && current.at <= at) return;
    if (at <= this.clock.now()) {
      this.cancel(key);
      this.wake(key);
      return;
    }
    if (current) this.clock.clearTimeout(current.handle);
    const handle = this.clock.setTimeout(() => {
      this.pending.delete(key);
      this.wake(key);
    }, at - this.clock.now());
    this.pending.set(key, { at, handle });
  }

  cancel(key: string): void {
    const current = this.pending.get(key);
    if (current) this.clock.clearTimeout(current.handle);
    this.pending.delete(key);
  }

  cancelAll(): void {
    for (const key of [...this.pending.keys()]) this.cancel(key);
  }
}
