/**
 * The durable journal: frames each record into the WAL (group-committed fsync) and, every
 * `snapshotEveryRecords` records or `snapshotEveryBytes` bytes, snapshots the keyspace and
 * starts a new segment so recovery time and disk use stay bounded.
 *
 * Snapshot protocol: at one synchronous moment capture the keyspace image and rotate the WAL
 * (records already appended finish in the old segment). Then write `snap-<newSeq>` atomically and
 * only then delete older segments and snapshots. A crash at any step leaves either the old
 * snapshot + all segments, or the new snapshot (+ stale files that recovery deletes).
 */
import { encodeRecord, type WalRecord } from './records.ts';
import { frame } from './framing.ts';
import type { Commit, CommitSink, Journal } from './journal.ts';
import type { KeyspaceImage } from './keyspace.ts';
import { removeBefore } from './recovery.ts';
import { writeSnapshot } from './snapshot.ts';
import { WalWriter } from './wal-writer.ts';

export interface WalJournalConfig {
  dir: string;
  /** Segment to append to (from recovery). */
  seq: number;
  fsync: boolean;
  snapshotEveryRecords: number;
  snapshotEveryBytes: number;
  /** Records and bytes already in the WAL since the last snapshot (from recovery). */
  records: number;
  bytes: number;
  /** Captures the current keyspace (including the record just appended). */
  image(): KeyspaceImage;
  /** A background snapshot failed: the store must stop (the WAL alone stays correct, but say so). */
  onSnapshotError(err: Error): void;
}

export class WalJournal implements Journal {
  private readonly writer: WalWriter<Commit>;
  private records: number;
  private bytes: number;
  private snapshotting: Promise<void> | undefined;

  constructor(
    private readonly config: WalJournalConfig,
    sink: CommitSink,
  ) {
    this.writer = WalWriter.open(config.dir, config.seq, config.fsync, sink);
    this.records = config.records;
    this.bytes = config.bytes;
  }

  append(record: WalRecord, commit: Commit): void {
    const framed = frame(encodeRecord(record));
    this.writer.append(framed, commit);
    this.records++;
    this.bytes += framed.length;
    this.snapshotIfDue();
  }

  /** Start a background snapshot when the thresholds are crossed (also checked after recovery). */
  snapshotIfDue(): void {
    if (this.snapshotDue()) this.snapshotting = this.snapshot().finally(() => (this.snapshotting = undefined));
  }

  async close(): Promise<void> {
    await this.snapshotting;
    await this.writer.close();
  }

  private snapshotDue(): boolean {
    if (this.snapshotting) return false;
    return this.records >= this.config.snapshotEveryRecords || this.bytes >= this.config.snapshotEveryBytes;
  }

  private async snapshot(): Promise<void> {
    const image = this.config.image();
    const seqPromise = this.writer.rotate();
    this.records = 0;
    this.bytes = 0;
    try {
      const seq = await seqPromise;
      await writeSnapshot(this.config.dir, seq, image, this.config.fsync);
      await removeBefore(this.config.dir, seq, this.config.fsync);
    } catch (err) {
      this.config.onSnapshotError(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
