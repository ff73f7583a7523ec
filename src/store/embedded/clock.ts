/**
 * Time source for lease expiry and watch progress ticks. Injected so tests advance time with
 * `ManualClock` instead of sleeping.
 */

/** Opaque handle returned by `Clock.setTimer`. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since an arbitrary origin; only differences matter. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Wall-clock timers. Unref'd: a store's timers alone never keep a process alive. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

interface ManualTimer {
  id: number;
  due: number;
  fn: () => void;
}

/** A clock that moves only when told (`advance`), firing due timers in due order. For tests. */
export class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, ManualTimer>();

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, due: this.time + Math.max(0, ms), fn };
    this.timers.set(timer.id, timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Move time forward by `ms`, firing every timer that falls due (including ones set meanwhile). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.timers.values()) {
        if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t;
      }
      if (!next) break;
      this.timers.delete(next.id);
      this.time = Math.max(this.time, next.due);
      next.fn();
    }
    this.time = target;
  }

  /** Number of timers still pending (lets tests assert that close() cleared everything). */
  pendingTimers(): number {
    return this.timers.size;
  }
}
