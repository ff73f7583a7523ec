/**
 * `/kactus/logs/1.0.0`: a master asks a node daemon for one container's log, one stream per
 * request (the path behind `kubectl logs`).
 *
 *   master → node  logs.request   which pod/container, follow, tail, since, timestamps, previous
 *   node → master  logs.chunk     first one EMPTY chunk as soon as the log is open, so the master
 *                                 can answer its HTTP request (200 or an error status) before the
 *                                 container has printed anything; then the log, ≤ 64 KiB a chunk
 *   node → master  logs.end       the log ended (or, following, the container exited)
 *            or    logs.error     {code, message}: HTTP-like code (404 no such pod/container,
 *                                 400 bad request, 500 runtime failure)
 *
 * Backpressure: the node awaits each chunk's write (the yamux window), so a slow reader slows the
 * node's reading of the runtime's stream instead of growing a buffer. The master ends a request by
 * aborting the stream; the node then destroys the runtime stream, which stops following.
 */
import type { Readable } from 'node:stream';
import type { PeerId } from '@libp2p/interface';
import { dialNode, serveNodeStream } from './node-stream.ts';
import { FramedStream } from './framed.ts';
import { checkMessage, type LogsRequest } from './messages.ts';
import { PROTOCOL_LOGS } from './protocols.ts';
import type { MeshHost } from './host.ts';
import { errorMessage } from '../api/error-message.ts';

/** Largest `logs.chunk` payload (well under MAX_FRAME_BYTES; one yamux message window). */
export const LOGS_CHUNK_BYTES = 64 * 1024;

/** The request must arrive, and the log must open, within this time. */
export const LOGS_OPEN_TIMEOUT_MS = 10_000;

/**
 * A log request that failed, on either end: the node's provider throws it (code 404 for a pod or
 * container it does not hold, 400 for a request it cannot serve), and `fetchLogs` throws it on the
 * master with the node's code; 503 when no address of the node answers, 502 when the node broke
 * the stream off.
 */
export class LogsError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'LogsError';
  }
}

/** What a node daemon plugs into `serveLogs`. */
export interface LogsProvider {
  /** Only admitted peers (the masters) may read logs; others get their stream reset. */
  isAdmitted(peer: PeerId): boolean | Promise<boolean>;
  /**
   * Open the requested log as a byte stream (stdout and stderr interleaved). Throw LogsError for
   * an answer the master should pass on (404, 400); anything else is reported as a 500.
   */
  open(request: LogsRequest): Promise<Readable>;
}

/** Serve `/kactus/logs/1.0.0` on a node. Returns a function that unregisters the handler. */
export async function serveLogs(host: MeshHost, provider: LogsProvider): Promise<() => Promise<void>> {
  return serveNodeStream(host, PROTOCOL_LOGS, (peer) => provider.isAdmitted(peer), async (framed) => {
    const stream = framed.stream;
    let source: Readable | undefined;
    // The master aborts the stream to stop a request (a follower hung up): stop reading the log.
    stream.addEventListener('close', () => source?.destroy(), { once: true });
    try {
      const env = await framed.expect('logs.request', AbortSignal.timeout(LOGS_OPEN_TIMEOUT_MS));
      const request = checkMessage('logs.request', env.body);
      try {
        source = await provider.open(request);
      } catch (err) {
        const code = err instanceof LogsError ? err.code : 500;
        await framed.write('logs.error', { code, message: (err as Error).message });
        await framed.close();
        return;
      }
      if (stream.status !== 'open') {
        source.destroy();
        return;
      }
      await framed.write('logs.chunk', { data: new Uint8Array(0) });
      await pump(source, framed);
      await framed.close();
    } catch (err) {
      // A bad frame, a timeout, a reset by the master or a failing log source ends this stream only.
      source?.destroy();
      framed.abort(err as Error);
    }
  });
}

/** Copy the log into chunks, awaiting each write; then logs.end, or logs.error if the source failed. */
async function pump(source: Readable, framed: FramedStream): Promise<void> {
  try {
    for await (const piece of source as AsyncIterable<Buffer | string>) {
      const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
      for (let at = 0; at < bytes.length; at += LOGS_CHUNK_BYTES) {
        await framed.write('logs.chunk', { data: bytes.subarray(at, at + LOGS_CHUNK_BYTES) });
      }
    }
  } catch (err) {
    if (framed.stream.status !== 'open') throw err;
    await framed.write('logs.error', { code: 500, message: `reading the log failed: ${(err as Error).message}` });
    return;
  }
  await framed.write('logs.end', {});
}

/**
 * Ask a node for a log. Dials the node's addresses in turn (multiaddrs ending in `/p2p/<peer id>`),
 * sends the request and waits until the node has opened the log: node errors reject here with
 * the node's LogsError, before any byte is returned. The result yields the log's bytes; it ends at
 * `logs.end` and throws LogsError on `logs.error` or a broken stream. Stop early by aborting
 * `signal` or leaving the iteration: either aborts the stream, which stops the node following.
 */
export async function fetchLogs(host: MeshHost, nodeAddrs: readonly string[], request: LogsRequest, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
  const openSignal = signal ? AbortSignal.any([signal, AbortSignal.timeout(LOGS_OPEN_TIMEOUT_MS)]) : AbortSignal.timeout(LOGS_OPEN_TIMEOUT_MS);
  const framed = new FramedStream(await dialNode(host, nodeAddrs, PROTOCOL_LOGS, openSignal, (detail) => new LogsError(503, `no address of the node answered: ${detail}`)));
  try {
    await framed.write('logs.request', request, openSignal);
    const first = await readAnswer(framed, openSignal);
    if (first === 'end') {
      await framed.close();
      return (async function* () {})();
    }
    return follow(framed, first, signal);
  } catch (err) {
    framed.abort(err as Error);
    throw asLogsError(err, openSignal);
  }
}

/** The next piece of the answer: bytes, `end`, or a LogsError thrown for `logs.error` / a broken stream. */
async function readAnswer(framed: FramedStream, signal?: AbortSignal): Promise<Uint8Array | 'end'> {
  let env;
  try {
    env = await framed.read(signal);
  } catch (err) {
    throw asLogsError(err, signal);
  }
  switch (env.type) {
    case 'logs.chunk':
      return checkMessage('logs.chunk', env.body).data;
    case 'logs.end':
      return 'end';
    case 'logs.error': {
      const { code, message } = checkMessage('logs.error', env.body);
      throw new LogsError(code, message);
    }
    default:
      throw new LogsError(502, `unexpected ${env.type} on a log stream`);
  }
}

/**
 * A failure of the stream itself (reset, EOF, garbage) is the node breaking off: 502. The
 * caller's own abort passes through as it is, and LogsErrors are already typed.
 */
function asLogsError(err: unknown, signal?: AbortSignal): unknown {
  if (err instanceof LogsError || signal?.aborted) return err;
  return new LogsError(502, `the node broke off the log stream: ${errorMessage(err)}`);
}

async function* follow(framed: FramedStream, first: Uint8Array, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  let ended = false;
  try {
    let piece: Uint8Array | 'end' = first;
    while (piece !== 'end') {
      if (piece.length > 0) yield piece;
      piece = await readAnswer(framed, signal);
    }
    ended = true;
  } finally {
    // A consumer that leaves early (or an abort) resets the stream so the node stops following.
    if (ended) await framed.close();
    else framed.abort(new Error('log request ended by the reader'));
  }
}
