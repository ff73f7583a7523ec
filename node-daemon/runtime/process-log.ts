/**
 * Container logs of the process runtime, kept as CRI log files do: one line per output line,
 * `<RFC 3339 time> <stdout|stderr> <text>`, so tail, since and timestamps can be answered later.
 *
 * Writes are synchronous, which lets a reader take the file's content and subscribe to what
 * follows in one tick, with no line lost or repeated in between. A partial last line is written
 * (with a newline) when the process exits.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import type { LogOptions } from '../../src/runtime/types.ts';

export type LogStreamName = 'stdout' | 'stderr';

interface LogLine {
  time: string;
  text: string;
}

/** Parse a log file's content; malformed lines (a torn write) are skipped. */
export function parseLog(content: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of content.split('\n')) {
    const first = raw.indexOf(' ');
    const second = raw.indexOf(' ', first + 1);
    if (first < 0 || second < 0) continue;
    lines.push({ time: raw.slice(0, first), text: raw.slice(second + 1) });
  }
  return lines;
}

function format(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${line.time} ${line.text}\n` : `${line.text}\n`;
}

/** Apply sinceSeconds and tailLines (in that order, as the kubelet does). */
function select(lines: LogLine[], opts: LogOptions, now: number): LogLine[] {
  let selected = lines;
  if (opts.sinceSeconds !== undefined) {
    const cutoff = now - opts.sinceSeconds * 1000;
    selected = selected.filter((l) => Date.parse(l.time) >= cutoff);
  }
  if (opts.tailLines !== undefined) selected = opts.tailLines > 0 ? selected.slice(-opts.tailLines) : [];
  return selected;
}

/** The selected lines of a log file as text; a missing file is an empty log. */
function selectedText(path: string, opts: LogOptions): string {
  let content = '';
  try {
    content = readFileSync(path, 'utf8');
  } catch (err) {
    if (!(typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT')) throw err;
  }
  return select(parseLog(content), opts, Date.now())
    .map((l) => format(l, opts.timestamps === true))
    .join('');
}

/** Read a finished (or foreign) log file. */
export function readLogFile(path: string, opts: LogOptions): Readable {
  const text = selectedText(path, opts);
  return Readable.from(text === '' ? [] : [text]);
}

/** The writer for one running container: owns the file and its live followers. */
export class ContainerLog {
  private readonly fd: number;
  private readonly partial: Record<LogStreamName, string> = { stdout: '', stderr: '' };
  private readonly followers = new Set<{ stream: PassThrough; timestamps: boolean }>();
  private closed = false;

  constructor(private readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(stream: LogStreamName, chunk: Buffer): void {
    const pieces = (this.partial[stream] + chunk.toString('utf8')).split('\n');
    this.partial[stream] = pieces.pop() ?? '';
    for (const text of pieces) this.append(stream, text);
  }

  /** Flush partial lines, end followers, close the file. */
  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.append(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
    this.closed = true;
    closeSync(this.fd);
    for (const f of this.followers) f.stream.end();
    this.followers.clear();
  }

  /** The file's selection now, then every new line until close. */
  follow(opts: LogOptions): Readable {
    const stream = new PassThrough();
    // Read and subscribe in one synchronous step: writes are synchronous too, so none falls between.
    const existing = selectedText(this.path, opts);
    if (existing !== '') stream.write(existing);
    if (this.closed) {
      stream.end();
      return stream;
    }
    const follower = { stream, timestamps: opts.timestamps === true };
    this.followers.add(follower);
    stream.on('close', () => this.followers.delete(follower));
    return stream;
  }

  private append(stream: LogStreamName, text: string): void {
    const line: LogLine = { time: new Date().toISOString(), text };
    writeSync(this.fd, `${line.time} ${stream} ${text}\n`);
    for (const f of this.followers) f.stream.write(format(line, f.timestamps));
  }
}
