/**
 * A rate-limited work queue of object keys, as client-go's workqueue: a key waiting is queued
 * once however often it is added; a key being processed is never processed twice at once (added
 * meanwhile, it runs again afterwards); a failed key is retried with exponential backoff
 * (`baseDelayMs` doubling to `maxDelayMs`) and its failure count is forgotten on success.
 */

export interface WorkQueueOptions {
  /** Keys processed at the same time (Kubernetes' ConcurrentReplicaSetSyncs: 5). */
  workers?: number;
  /** First retry delay after a failure (client-go: 5 ms). */
  baseDelayMs?: number;
  /** Longest retry delay (client-go: 1000 s). */
  maxDelayMs?: number;
  /** Told about each failure before its retry is scheduled. */
  onError?(key: string, err: unknown): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while being processed: queued again when processing ends. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  private stopped = false;

  constructor(
    private readonly process: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions = {},
  ) {}

  /** Starts processing (keys added before are kept). */
  start(): void {
    this.running = true;
    this.pump();
  }

  /** Stops processing and drops every pending key and timer; keys in flight finish. */
  stop(): void {
    this.stopped = true;
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds `key` after `delayMs` (a minReadySeconds check, an expectations timeout). */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.timers.add(timer);
  }

  /** Keys waiting or in flight (for tests). */
  get length(): number {
    return this.queue.length + this.processing.size;
  }

  private pump(): void {
    const workers = this.opts.workers ?? 5;
    while (this.running && this.processing.size < workers && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.queued.delete(key);
      this.processing.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.process(key);
      this.failures.delete(key);
    } catch (err) {
      this.opts.onError?.(key, err);
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const base = this.opts.baseDelayMs ?? 5;
      this.addAfter(key, Math.min(base * 2 ** (n - 1), this.opts.maxDelayMs ?? 1_000_000));
    } finally {
      this.processing.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
