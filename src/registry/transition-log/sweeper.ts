/**
 * Deletes the history of objects that are gone: every `intervalMs` it reads the log's directory
 * (one small key per object with records, keys.ts), asks whether each object still exists, and
 * deletes the records and directory key of one that has been missing for `retentionMs` (its
 * timeline stays viewable that long after a delete). The leader runs it; "missing since" lives in
 * memory, so a new leader waits a whole retention again before deleting (late, never early).
 */
import pino, { type Logger } from 'pino';
import { allResources, storedResource } from '../../api/kinds.ts';
import { objectKey } from '../../api/metadata.ts';
import type { Store } from '../../store/types.ts';
import { DIRECTORY_PREFIX, objectPrefix, parseDirectoryKey, type ObjectRef } from './keys.ts';

export interface HistorySweeperOptions {
  store: Store;
  /** How long after its object is gone a history is kept (default 10 min). */
  retentionMs?: number;
  /** Time between sweeps (default 60 s). */
  intervalMs?: number;
  /** Whether the object exists (any uid); default: its key in the store (kinds of src/api/kinds.ts). */
  exists?: (object: ObjectRef) => Promise<boolean>;
  now?: () => number;
  logger?: Logger;
}

const PAGE = 1000;
const DELETES_PER_TXN = 64;

/** Whether `object` has a key in the store; objects of kinds kactus does not serve never exist. */
export function storedObjectExists(store: Store): (object: ObjectRef) => Promise<boolean> {
  return async (object) => {
    const info = allResources().find((r) => r.kind === object.kind);
    if (!info) return false;
    const stored = storedResource(info);
    return (await store.get(objectKey(stored, stored.namespaced ? object.namespace : undefined, object.name))) !== undefined;
  };
}

export class HistorySweeper {
  private readonly retentionMs: number;
  private readonly intervalMs: number;
  private readonly exists: (object: ObjectRef) => Promise<boolean>;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly missingSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: HistorySweeperOptions) {
    this.retentionMs = opts.retentionMs ?? 10 * 60_000;
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.exists = opts.exists ?? storedObjectExists(opts.store);
    this.now = opts.now ?? Date.now;
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined, (err: unknown) => this.log.warn({ err }, 'transition history sweep failed'))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass; resolves with the number of objects whose history was deleted. */
  async sweep(): Promise<number> {
    let swept = 0;
    const seen = new Set<string>();
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.opts.store.list(DIRECTORY_PREFIX, { limit: PAGE, ...(startAfter === undefined ? {} : { startAfter }) });
      for (const kv of page.items) {
        const object = parseDirectoryKey(kv.key);
        if (!object) continue;
        seen.add(kv.key);
        if (await this.exists(object)) {
          this.missingSince.delete(kv.key);
          continue;
        }
        const since = this.missingSince.get(kv.key);
        if (since === undefined) {
          this.missingSince.set(kv.key, this.now());
          continue;
        }
        if (this.now() - since < this.retentionMs) continue;
        await this.deleteHistory(object, kv.key);
        this.missingSince.delete(kv.key);
        swept++;
      }
      if (!page.more || page.items.length === 0) break;
      startAfter = page.items[page.items.length - 1]!.key;
    }
    // Directory keys deleted by another sweeper: forget them.
    for (const key of this.missingSince.keys()) if (!seen.has(key)) this.missingSince.delete(key);
    return swept;
  }

  private async deleteHistory(object: ObjectRef, dirKey: string): Promise<void> {
    const { items } = await this.opts.store.list(objectPrefix(object));
    const keys = items.map((kv) => kv.key);
    for (let i = 0; i < keys.length; i += DELETES_PER_TXN) {
      await this.opts.store.txn([], keys.slice(i, i + DELETES_PER_TXN).map((key) => ({ type: 'delete' as const, key })));
    }
    // The directory key last: a failure above leaves it, and the next sweep tries again.
    await this.opts.store.txn([], [{ type: 'delete', key: dirKey }]);
    this.log.debug({ object, records: keys.length }, 'transition history of a deleted object swept');
  }
}
