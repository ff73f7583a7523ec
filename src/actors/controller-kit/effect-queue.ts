/**
 * The I/O an object's machine asked for, run in the order it asked. A machine's effect actions
 * stay synchronous (XState runs them during `send`): the controller's implementation of each only
 * adds a thunk here under the object's key, and the controller's sync, which the work queue runs
 * once per key at a time, sends the machine its observation and then `run`s what was added.
 *
 * Order matters (a Job's status must be written before the finalizers of the pods it counts are
 * released), so effects run one at a time. The first one that throws ends the run and is rethrown
 * (the work queue retries the sync, which observes again and the machine asks again); one that
 * answers `false` ends the run quietly (its object is gone or replaced: nothing after it applies).
 * An effect may send its machine a fact (a Job it created); what the machine asks for then is
 * added to the same run.
 */

/** One effect: resolves `false` to end the run without an error. */
export type Effect = () => Promise<boolean | void>;

export class EffectQueue {
  private readonly pending = new Map<string, Effect[]>();

  /** Adds `effect` to what `key`'s next run does. */
  add(key: string, effect: Effect): void {
    let list = this.pending.get(key);
    if (!list) this.pending.set(key, (list = []));
    list.push(effect);
  }

  /** Effects waiting for `key` (tests). */
  size(key: string): number {
    return this.pending.get(key)?.length ?? 0;
  }

  /** Runs `key`'s effects in order, including any added while it runs. */
  async run(key: string): Promise<void> {
    try {
      for (let next = this.pending.get(key)?.shift(); next; next = this.pending.get(key)?.shift()) {
        if ((await next()) === false) return;
      }
    } finally {
      // Whatever a failed or ended run left is not done: the next observation asks again.
      this.pending.delete(key);
    }
  }

  /** The object is gone: drop what it asked for. */
  forget(key: string): void {
    this.pending.delete(key);
  }
}
