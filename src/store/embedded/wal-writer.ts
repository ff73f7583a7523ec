/**
 * Append-only WAL segments with group commit.
 *
 * `append` only queues. One flush loop at a time writes everything queued as one buffer, then
 * fdatasyncs once; frames appended while that fsync is in flight wait and go out together in the
 * next round. Each frame's tag is reported durable only after the fsync that covers it, and tags
 * are reported in append order (so revisions become visible in order).
 *
 * `rotate()` is a marker in the same queue: frames before it finish in the old segment, frames
 * after it go to the new one, so a snapshot taken at the moment of the call splits the log exactly.
 */
import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { fsyncDir, segmentPath } from './files.ts';

const fdatasyncAsync = promisify(fdatasync);

export interface WalSink<T> {
  /** Tags whose frames are now on disk, in append order. */
  durable(tags: T[]): void;
  /** The log failed; these tags will never become durable. Called once per failed batch. */
  failed(err: Error, tags: T[]): void;
}

type Entry<T> = { bytes: Buffer; tag: T } | { rotateTo: number; done: (err?: Error) => void };

export class WalWriter<T> {
  private queue: Entry<T>[] = [];
  private running = false;
  private failure: Error | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** Segment that new appends land in (moves at `rotate()` time, before the file switch). */
  private tailSeq: number;

  private constructor(
    private readonly dir: string,
    private fd: number,
    seq: number,
    private readonly fsync: boolean,
    private readonly sink: WalSink<T>,
  ) {
    this.tailSeq = seq;
  }

  /** Open (create or append to) segment `seq` of `dir`. */
  static open<T>(dir: string, seq: number, fsync: boolean, sink: WalSink<T>): WalWriter<T> {
    const fd = openSync(segmentPath(dir, seq), 'a');
    if (fsync) fsyncDir(dir);
    return new WalWriter(dir, fd, seq, fsync, sink);
  }

  /** The segment that the next append goes to. */
  get currentSeq(): number {
    return this.tailSeq;
  }

  append(bytes: Buffer, tag: T): void {
    if (this.failure || this.closed) {
      this.sink.failed(this.failure ?? new Error('WAL closed'), [tag]);
      return;
    }
    this.queue.push({ bytes, tag });
    this.kick();
  }

  /**
   * Start segment `currentSeq + 1` for appends from now on. Resolves with its seq once every
   * earlier frame is durable in the old segment and the new file exists.
   */
  rotate(): Promise<number> {
    if (this.failure || this.closed) return Promise.reject(this.failure ?? new Error('WAL closed'));
    const seq = ++this.tailSeq;
    return new Promise((resolve, reject) => {
      this.queue.push({ rotateTo: seq, done: (err) => (err ? reject(err) : resolve(seq)) });
      this.kick();
    });
  }

  /** Flush everything queued, then close the file. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    closeSync(this.fd);
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    // A microtask lets writes issued in the same tick join the first batch.
    queueMicrotask(() => void this.run());
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const batch = this.queue;
      this.queue = [];
      let bufs: Buffer[] = [];
      let tags: T[] = [];
      let i = 0;
      try {
        for (; i < batch.length; i++) {
          const entry = batch[i]!;
          if ('bytes' in entry) {
            bufs.push(entry.bytes);
            tags.push(entry.tag);
            continue;
          }
          await this.flush(bufs, tags);
          bufs = [];
          tags = [];
          this.switchSegment(entry.rotateTo);
          entry.done();
        }
        await this.flush(bufs, tags);
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
        const lost = [...tags];
        // `tags` holds the unflushed frames before position i; everything from i on never ran.
        for (const e of [...batch.slice(i), ...this.queue]) {
          if ('bytes' in e) lost.push(e.tag);
          else e.done(this.failure);
        }
        this.queue = [];
        this.sink.failed(this.failure, lost);
      }
    }
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async flush(bufs: Buffer[], tags: T[]): Promise<void> {
    if (bufs.length === 0) return;
    const data = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
    // A synchronous write only copies into the page cache (microseconds); the fsync is the wait.
    for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off, data.length - off);
    if (this.fsync) await fdatasyncAsync(this.fd);
    this.sink.durable(tags);
  }

  private switchSegment(seq: number): void {
    closeSync(this.fd);
    this.fd = openSync(segmentPath(this.dir, seq), 'a');
    if (this.fsync) fsyncDir(this.dir);
  }
}
