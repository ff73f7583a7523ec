/**
 * A stream worker's first look at a connection: the head of its first request, read off the TLS
 * socket before anything else does, to tell an event stream upgrade (served in the worker) from
 * everything else (relayed to the main thread whole, these very bytes first). The decision must
 * be the API server's own: `/kactus/v1/events` as its router decodes paths, and an upgrade as
 * Node's HTTP parser sees one (`Connection: upgrade` and an `Upgrade` header). Anything this
 * reader cannot make sense of is relayed: the main thread's parser then answers it as always.
 */
import type { Duplex } from 'node:stream';
import { requestUrl } from '../../http/request-url.ts';

export interface RequestHead {
  method: string;
  /** The request target as sent. */
  url: string;
  /** Lower-cased names; repeated headers joined with ", ", except those Node keeps the first of. */
  headers: Record<string, string>;
}

/** Headers whose repeats Node's IncomingMessage drops (it keeps the first). */
const FIRST_ONLY = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent']);

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Reads until the first request's head is complete (`headEnd`: the index after its blank line),
 * or `limit` bytes came without one (`headEnd` -1), returning every byte read. Undefined when the
 * connection ended, failed or sent nothing whole within `timeoutMs` (the caller drops it).
 */
export function readRequestHead(socket: Duplex, limit: number, timeoutMs: number): Promise<{ bytes: Buffer; headEnd: number } | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (result: { bytes: Buffer; headEnd: number } | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      socket.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      // The blank line may straddle chunks: look from a little before the new one.
      const from = Math.max(0, length - 3);
      chunks.push(chunk);
      length += chunk.length;
      const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
      const at = bytes.indexOf(HEAD_END, from);
      if (at >= 0) finish({ bytes, headEnd: at + HEAD_END.length });
      else if (length >= limit) finish({ bytes, headEnd: -1 });
    };
    const onEnd = (): void => finish(undefined);
    const timer = setTimeout(onEnd, timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
  });
}

/** The request line and headers of `head` (without its blank line); undefined if it is not plain HTTP/1.x. */
export function parseRequestHead(head: string): RequestHead | undefined {
  const lines = head.split('\r\n');
  const requestLine = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
  if (!requestLine) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    // Folded lines, or no name: not something to decide on here.
    if (colon <= 0 || line[0] === ' ' || line[0] === '\t') return undefined;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) return undefined;
    if (headers[name] === undefined) headers[name] = value;
    else if (!FIRST_ONLY.has(name)) headers[name] += `, ${value}`;
  }
  return { method: requestLine[1]!, url: requestLine[2]!, headers };
}

/** Whether `target` addresses the event stream, read as the API server reads targets and decodes paths (http/request-url.ts, http/router.ts). */
function isEventStreamPath(target: string): boolean {
  try {
    const segs = requestUrl(target).pathname.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
    return segs.length === 3 && segs[0] === 'kactus' && segs[1] === 'v1' && segs[2] === 'events';
  } catch {
    return false;
  }
}

/** Whether the server would hand this request to the event stream's upgrade (`Connection: upgrade`, an `Upgrade` header, the stream's path). */
export function isEventStreamUpgrade(head: RequestHead): boolean {
  const connection = (head.headers.connection ?? '').toLowerCase().split(',').map((t) => t.trim());
  return connection.includes('upgrade') && head.headers.upgrade !== undefined && head.method !== 'CONNECT' && isEventStreamPath(head.url);
}
