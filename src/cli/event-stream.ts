/**
 * The CLI's client of `/kactus/v1/events` (src/apiserver/events/README.md): a WebSocket with the
 * kubeconfig's credentials that, when it follows (`-w`), reconnects as the contract says — after
 * 4429 (slow consumer), a server going away (1001) or a broken connection, from the last index it
 * processed; after 4410 (expired) without one, taking a new snapshot. 4400 and 4401 end it with an
 * error, and so does a first connection that cannot be made (as `kubectl get -w` fails at once).
 */
import WebSocket from 'ws';
import type { ClusterConnection } from './kubeconfig.ts';
import { CliError, ConnectionError } from './errors.ts';

/** One message of the stream (fields by `type`: transition, event, snapshot, snapshot-end, heartbeat). */
export interface StreamMessage {
  type: string;
  index: number;
  [field: string]: unknown;
}

export interface EventStreamQuery {
  kinds?: string[];
  namespaces?: string[];
  names?: string[];
  labelSelector?: string;
  /** Resume after this index (no snapshot). */
  index?: number;
}

export interface FollowOptions {
  /** Keep going after the snapshot (and reconnect); false: stop at `snapshot-end`. */
  follow: boolean;
  onMessage(msg: StreamMessage): void;
  /** A note for stderr (reconnects). */
  onNote?(text: string): void;
  /** Aborting ends the stream (the promise resolves). */
  signal?: AbortSignal;
  /** First delay before a reconnect, doubled up to `maxBackoffMs` while reconnects fail (default 200 ms / 5 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** The URL of the stream for `query` on the connection's server. */
export function eventStreamUrl(conn: ClusterConnection, query: EventStreamQuery): URL {
  const url = new URL('/kactus/v1/events', conn.server.replace(/^http/, 'ws'));
  for (const k of query.kinds ?? []) url.searchParams.append('kind', k);
  for (const n of query.namespaces ?? []) url.searchParams.append('namespace', n);
  for (const n of query.names ?? []) url.searchParams.append('name', n);
  if (query.labelSelector) url.searchParams.set('labelSelector', query.labelSelector);
  if (query.index !== undefined) url.searchParams.set('index', String(query.index));
  return url;
}

interface Ending {
  code: number;
  reason: string;
  /** Whether the WebSocket opened. */
  opened: boolean;
  /** Why it never opened (refused, TLS, HTTP error), or a frame that was not a message. */
  error?: Error;
}

/** One connection: delivers messages until it closes (or `onMessage` returns false). */
function connectOnce(conn: ClusterConnection, query: EventStreamQuery, onMessage: (msg: StreamMessage) => boolean, signal?: AbortSignal): Promise<Ending> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {};
    if (conn.token) headers.Authorization = `Bearer ${conn.token}`;
    const ws = new WebSocket(eventStreamUrl(conn, query), {
      headers,
      ...(conn.caPem ? { ca: conn.caPem } : {}),
      ...(conn.clientCertPem ? { cert: conn.clientCertPem } : {}),
      ...(conn.clientKeyPem ? { key: conn.clientKeyPem } : {}),
      rejectUnauthorized: !conn.insecureSkipTlsVerify,
      perMessageDeflate: false,
    });
    let opened = false;
    let error: Error | undefined;
    const abort = (): void => ws.close(1000, 'client done');
    signal?.addEventListener('abort', abort, { once: true });
    ws.on('open', () => (opened = true));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: StreamMessage;
      try {
        msg = JSON.parse((data as Buffer).toString('utf8')) as StreamMessage;
      } catch {
        error = new CliError('event stream: the server sent a frame that is not JSON');
        return ws.terminate();
      }
      if (!onMessage(msg)) ws.close(1000, 'client done');
    });
    ws.on('unexpected-response', (_req, res) => {
      error = new CliError(`the server refused the event stream: HTTP ${res.statusCode ?? 0}`);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (!opened) error ??= new ConnectionError(conn.server, err);
    });
    ws.on('close', (code, reason) => {
      signal?.removeEventListener('abort', abort);
      resolve({ code, reason: reason.toString('utf8'), opened, ...(error ? { error } : {}) });
    });
  });
}

/** Close codes after which a client must not simply retry. */
function fatalClose(code: number, reason: string): Error | undefined {
  if (code === 4401) return new CliError(`You must be logged in to the server (the event stream closed with 4401: ${reason || 'unauthorized'})`);
  if (code === 4400) return new CliError(`event stream: bad request: ${reason}`);
  return undefined;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Reads the stream: without `follow`, the snapshot (to `snapshot-end`); with `follow`, until
 * aborted, reconnecting from the last index processed (`transition`, `event`, `snapshot-end` or
 * `heartbeat`: a snapshot's own index is not a resume point), so nothing is missed or repeated.
 */
export async function followEvents(conn: ClusterConnection, query: EventStreamQuery, opts: FollowOptions): Promise<void> {
  const firstBackoff = opts.backoffMs ?? 200;
  const maxBackoff = opts.maxBackoffMs ?? 5_000;
  let index = query.index;
  let backoffMs = firstBackoff;
  let everOpened = false;
  while (!opts.signal?.aborted) {
    let done = false;
    const ending = await connectOnce(
      conn,
      { ...query, index },
      (msg) => {
        backoffMs = firstBackoff;
        if (msg.type !== 'snapshot' && typeof msg.index === 'number') index = msg.index;
        opts.onMessage(msg);
        if (!opts.follow && msg.type === 'snapshot-end') done = true;
        return !done;
      },
      opts.signal,
    );
    if (done || opts.signal?.aborted) return;
    const fatal = fatalClose(ending.code, ending.reason);
    if (fatal) throw fatal;
    everOpened ||= ending.opened;
    // The first connection failing is the user's to fix (address, certificate): as kubectl, fail at once.
    if (ending.error && (!opts.follow || !everOpened)) throw ending.error;
    if (!opts.follow) throw new CliError(`event stream closed before the snapshot ended (${ending.code}${ending.reason ? `: ${ending.reason}` : ''})`);
    if (ending.code === 4410) {
      opts.onNote?.('event stream: the index expired (4410); starting again from a new snapshot');
      index = undefined;
      continue;
    }
    const why = ending.error ? ending.error.message : `${ending.code}${ending.reason ? ` ${ending.reason}` : ''}`;
    opts.onNote?.(`event stream closed (${why}); reconnecting${index === undefined ? '' : ` from index ${index}`}`);
    await pause(backoffMs, opts.signal);
    backoffMs = Math.min(backoffMs * 2, maxBackoff);
  }
}
