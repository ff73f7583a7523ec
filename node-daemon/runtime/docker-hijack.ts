/**
 * A hijacked engine connection (exec's or attach's: the HTTP connection become a raw duplex
 * socket) as a process's streams.
 *
 * - Output: without a tty the engine multiplexes stdout and stderr in frames (demuxed into two
 *   streams); with a tty the socket carries the terminal's bytes as they are. The output streams
 *   end when the socket does, and a slow reader pauses the socket (back-pressure to the engine).
 * - stdin: writes go to the socket; ending it calls `sendEof`, the caller's way of signalling it.
 */
import { PassThrough, type Duplex, type Writable } from 'node:stream';
import type Docker from 'dockerode';
import { execStdin } from './exec-stdin.ts';

export interface HijackedStreams {
  stdout: PassThrough;
  /** Absent with a tty. */
  stderr?: PassThrough;
  /** Present when asked for. */
  stdin?: Writable;
  /** Resolves once the socket has ended or closed (the output streams are then ended). */
  outputEnded: Promise<void>;
  /** Whether the output has ended. */
  readonly ended: boolean;
  /** The socket's first error, if any. */
  readonly error: Error | undefined;
  /** Drop the connection: the output streams end. */
  destroy(): void;
}

/** The terminal's end-of-input character (^D): EOF for a reader at the start of a line. */
export const EOT = Buffer.from([0x04]);

export function hijackedStreams(docker: Docker, socket: Duplex, opts: { tty: boolean; stdin: boolean; sendEof: (socket: Duplex) => void }): HijackedStreams {
  let ended = false;
  let error: Error | undefined;
  socket.on('error', (err: Error) => {
    error ??= err;
  });

  const stdout = new PassThrough();
  const stderr = opts.tty ? undefined : new PassThrough();
  const outputs = stderr ? [stdout, stderr] : [stdout];
  if (stderr) docker.modem.demuxStream(socket, stdout, stderr);
  else socket.on('data', (chunk: Buffer) => stdout.write(chunk));
  // Registered after the demuxer, so it runs once a chunk has been written out.
  socket.on('data', () => {
    const full = outputs.filter((o) => o.writableNeedDrain && !o.destroyed);
    if (full.length === 0) return;
    socket.pause();
    void Promise.all(full.map(drained)).then(() => socket.resume());
  });
  const outputEnded = new Promise<void>((resolve) => {
    const end = () => {
      ended = true;
      for (const o of outputs) o.end();
      resolve();
    };
    socket.once('end', end);
    socket.once('close', end);
  });

  const stdin = opts.stdin ? execStdin(socket, () => opts.sendEof(socket)) : undefined;
  const streams: HijackedStreams = {
    stdout,
    outputEnded,
    get ended() {
      return ended;
    },
    get error() {
      return error;
    },
    destroy() {
      socket.destroy();
      stdin?.destroy();
    },
  };
  if (stderr) streams.stderr = stderr;
  if (stdin) streams.stdin = stdin;
  return streams;
}

/** Resolves once `stream` can take more (or is gone). */
function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
