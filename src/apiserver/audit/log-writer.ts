/**
 * The audit log backend (`--audit-log-path`): one JSON line per event, appended to a file (or
 * written to stdout for `-`), off the request path.
 *
 * - **Never blocks a request.** `write()` serialises the event and queues the line; one loop
 *   writes whatever is queued as one chunk, and lines arriving meanwhile form the next chunk (as
 *   the store's group commit). The queue is bounded (`maxBufferedEvents`, default 10,000, as
 *   Kubernetes' buffered audit backend): past it events are dropped and counted (`dropped`,
 *   `onDropped`), never waited for. A failed write drops its chunk the same way.
 * - **Rotation by size** as Kubernetes' (lumberjack): before a chunk would take the file past
 *   `maxSizeMB` (`--audit-log-maxsize`; 0 = 100 MB) it is renamed to
 *   `<name>-<UTC time 2006-01-02T15-04-05.000><ext>` and a new file begun; only the newest
 *   `maxBackups` (`--audit-log-maxbackup`; 0 = all) are kept. Files are created 0600.
 */
import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { AuditEvent } from './event.ts';

export interface AuditLogOptions {
  /** File to append to, or `-` for stdout. */
  path: string;
  /** Rotate before the file passes this many MB (0 or absent: 100). Ignored for stdout. */
  maxSizeMB?: number;
  /** Rotated files to keep (0 or absent: all). */
  maxBackups?: number;
  /** Lines held while the sink is busy before events are dropped (default 10,000). */
  maxBufferedEvents?: number;
  /** Called for every event dropped (buffer full or write failed). */
  onDropped?: (count: number, reason: 'buffer-full' | 'write-failed') => void;
  /** Called when a write fails (once per failed chunk). */
  onError?: (err: Error) => void;
  /** Clock for backup names (tests). */
  now?: () => Date;
}

/** Where audit events go: the server calls `write` once per request. */
export interface AuditSink {
  write(event: AuditEvent): void;
}

interface ChunkSink {
  write(chunk: string): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_MAX_SIZE_MB = 100;
const DEFAULT_MAX_BUFFERED = 10_000;

export class AuditLogWriter implements AuditSink {
  private queue: string[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private sink: ChunkSink | undefined;
  /** Events written to the sink. */
  written = 0;
  /** Events lost (buffer full or a failed write). */
  dropped = 0;

  private constructor(private readonly opts: AuditLogOptions) {}

  /** Opens the log (creating the file 0600 if needed) so a bad path fails at start, not on the first request. */
  static async open(opts: AuditLogOptions): Promise<AuditLogWriter> {
    const writer = new AuditLogWriter(opts);
    writer.sink = opts.path === '-' ? stdoutSink() : await RotatingFile.open(opts.path, (opts.maxSizeMB || DEFAULT_MAX_SIZE_MB) * 1024 * 1024, opts.maxBackups ?? 0, opts.now ?? (() => new Date()));
    return writer;
  }

  write(event: AuditEvent): void {
    if (this.closed) return;
    if (this.queue.length >= (this.opts.maxBufferedEvents ?? DEFAULT_MAX_BUFFERED)) {
      this.drop(1, 'buffer-full');
      return;
    }
    this.queue.push(JSON.stringify(event) + '\n');
    this.writing ??= this.drain();
  }

  /** Resolves once everything queued so far is written (or dropped). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes what is queued, then closes the file. Later events are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushed();
    await this.sink?.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const lines = this.queue;
        this.queue = [];
        try {
          await this.sink!.write(lines.join(''));
          this.written += lines.length;
        } catch (err) {
          this.opts.onError?.(err as Error);
          this.drop(lines.length, 'write-failed');
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private drop(count: number, reason: 'buffer-full' | 'write-failed'): void {
    this.dropped += count;
    this.opts.onDropped?.(count, reason);
  }
}

function stdoutSink(): ChunkSink {
  return {
    write: (chunk) => new Promise((resolve, reject) => process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()))),
    close: async () => {},
  };
}

/** An append-only file rotated by size, lumberjack's way. */
class RotatingFile implements ChunkSink {
  private constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly maxBackups: number,
    private readonly now: () => Date,
    private file: FileHandle,
    private size: number,
  ) {}

  static async open(path: string, maxBytes: number, maxBackups: number, now: () => Date): Promise<RotatingFile> {
    const file = await open(path, 'a', 0o600);
    return new RotatingFile(path, maxBytes, maxBackups, now, file, (await file.stat()).size);
  }

  async write(chunk: string): Promise<void> {
    const bytes = Buffer.from(chunk);
    if (this.size > 0 && this.size + bytes.length > this.maxBytes) await this.rotate();
    await this.file.write(bytes);
    this.size += bytes.length;
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  private async rotate(): Promise<void> {
    await this.file.close();
    const ext = extname(this.path);
    const stem = basename(this.path, ext);
    // lumberjack's backup time format, UTC: 2006-01-02T15-04-05.000
    const stamp = this.now().toISOString().replace(/:/g, '-').replace(/Z$/, '');
    let backup = join(dirname(this.path), `${stem}-${stamp}${ext}`);
    for (let n = 1; await exists(backup); n++) backup = join(dirname(this.path), `${stem}-${stamp}.${n}${ext}`);
    await rename(this.path, backup);
    this.file = await open(this.path, 'a', 0o600);
    this.size = 0;
    if (this.maxBackups > 0) await this.prune(stem, ext);
  }

  /** Removes all but the newest `maxBackups` rotated files (their names sort by time). */
  private async prune(stem: string, ext: string): Promise<void> {
    const pattern = new RegExp(`^${escapeRegExp(stem)}-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3}(\\.\\d+)?${escapeRegExp(ext)}$`);
    const dir = dirname(this.path);
    const backups = (await readdir(dir)).filter((name) => pattern.test(name)).sort(byBackupAge);
    for (const old of backups.slice(0, Math.max(0, backups.length - this.maxBackups))) await rm(join(dir, old), { force: true });
  }
}

/** Oldest first: by time stamp, then by the `.n` a same-millisecond rotation added. */
function byBackupAge(a: string, b: string): number {
  const key = (name: string): [string, number] => {
    const m = /^(.*?\d{2}-\d{2}-\d{2}\.\d{3})(?:\.(\d+))?/.exec(name);
    return [m?.[1] ?? name, Number(m?.[2] ?? 0)];
  };
  const [ta, na] = key(a);
  const [tb, nb] = key(b);
  return ta < tb ? -1 : ta > tb ? 1 : na - nb;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
