/**
 * Where committed records go before a write is acknowledged. The store applies a record to its
 * keyspace, then hands it to the journal with a `Commit`; the journal reports commits durable in
 * append order. `WalJournal` persists to disk; `MemoryJournal` keeps nothing (for tests and
 * throw-away clusters).
 */
import type { WatchEvent } from '../types.ts';
import type { WalRecord } from './records.ts';

/** One write waiting to become durable. */
export interface Commit {
  /** Watch events the record produced (empty for lease grants, compactions, ...). */
  events: WatchEvent[];
  resolve(): void;
  reject(err: Error): void;
}

export interface CommitSink {
  durable(commits: Commit[]): void;
  failed(err: Error, commits: Commit[]): void;
}

export interface Journal {
  append(record: WalRecord, commit: Commit): void;
  /** Make everything appended durable, then release files. */
  close(): Promise<void>;
}

/** Acknowledges on the next microtask, in order, batching everything appended in one tick. */
export class MemoryJournal implements Journal {
  private pending: Commit[] = [];

  constructor(private readonly sink: CommitSink) {}

  append(_record: WalRecord, commit: Commit): void {
    this.pending.push(commit);
    if (this.pending.length === 1) queueMicrotask(() => this.flush());
  }

  async close(): Promise<void> {
    this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.sink.durable(batch);
  }
}
