/**
 * The kactus event stream (`GET /kactus/v1/events` as a WebSocket; contract in DESIGN.md §7 and
 * src/apiserver/events/README.md) for the browser. A browser cannot set headers on a WebSocket,
 * so the token travels as Kubernetes' subprotocol `base64url.bearer.authorization.k8s.io.<token>`,
 * beside `kactus.events.v1`, the one the server answers with (the token is never echoed).
 *
 * Keeps one subscription alive: the first connection (no index) gets a snapshot of every matching
 * actor then `snapshot-end`; after a drop it reconnects with `index=` the last one seen, so nothing
 * is missed or doubled. When the server no longer holds that index (4410 "expired, relist") or the
 * client fell behind (4429), it starts over with a fresh snapshot and tells the consumer to reset.
 * 4401 (unauthorized), 4403 (forbidden) and 4400 (bad query) end it with the server's reason.
 * Entries of kinds or namespaces the user may not watch are left out by the server itself.
 */
import { query } from './kinds.ts';
import type { StreamMessage } from './types.ts';

export interface StreamFilter {
  kind?: string;
  namespace?: string;
  name?: string;
  labelSelector?: string;
}

export type StreamStatus = 'connecting' | 'snapshot' | 'live' | 'retrying' | 'unauthorized' | 'forbidden' | 'failed' | 'closed';

export interface StreamHandlers {
  message(m: StreamMessage): void;
  /** A new snapshot is coming: drop what the earlier ones built. */
  reset?(): void;
  status?(status: StreamStatus, detail?: string): void;
}

export const CLOSE_EXPIRED = 4410;
export const CLOSE_SLOW = 4429;
export const CLOSE_BAD_QUERY = 4400;
export const CLOSE_UNAUTHORIZED = 4401;
/** The user may not open the stream (`get` on the path `/kactus/v1/events`); the reason is Kubernetes' sentence. */
export const CLOSE_FORBIDDEN = 4403;

/** The subprotocol the server selects. */
export const EVENTS_PROTOCOL = 'kactus.events.v1';

/** Kubernetes' WebSocket bearer-token subprotocol: the token in unpadded base64url. */
export function bearerProtocol(token: string): string {
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(token)));
  return `base64url.bearer.authorization.k8s.io.${b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/** `wss://<this host>/kactus/v1/events?...`. */
export function streamUrl(filter: StreamFilter, index?: number): string {
  const url = new URL(`/kactus/v1/events${query({ ...filter, index })}`, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

const MAX_BACKOFF_MS = 10_000;

export class EventStream {
  private socket: WebSocket | undefined;
  private lastIndex: number | undefined;
  private closed = false;
  private backoff = 250;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly token: string,
    private readonly filter: StreamFilter,
    private readonly handlers: StreamHandlers,
  ) {}

  start(): this {
    this.connect();
    return this;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = undefined;
    this.handlers.status?.('closed');
  }

  private connect(): void {
    const fresh = this.lastIndex === undefined;
    if (fresh) this.handlers.reset?.();
    this.handlers.status?.(fresh ? 'snapshot' : 'connecting');
    const socket = new WebSocket(streamUrl(this.filter, this.lastIndex), [EVENTS_PROTOCOL, bearerProtocol(this.token)]);
    this.socket = socket;
    socket.onmessage = (ev: MessageEvent<string>) => {
      if (typeof ev.data !== 'string') return;
      const m = JSON.parse(ev.data) as StreamMessage;
      // Snapshots are not a place to resume from; everything else is (snapshot-end, heartbeats too).
      if (m.type !== 'snapshot') this.lastIndex = m.index;
      this.backoff = 250;
      if (m.type === 'snapshot-end' || (!fresh && m.type !== 'snapshot')) this.handlers.status?.('live');
      this.handlers.message(m);
    };
    socket.onclose = (ev: CloseEvent) => {
      if (this.socket !== socket || this.closed) return;
      this.socket = undefined;
      if (ev.code === CLOSE_UNAUTHORIZED) return this.handlers.status?.('unauthorized', ev.reason);
      if (ev.code === CLOSE_FORBIDDEN) return this.handlers.status?.('forbidden', ev.reason || 'forbidden');
      if (ev.code === CLOSE_BAD_QUERY) return this.handlers.status?.('failed', ev.reason || 'bad query');
      // Our place in the stream is gone (or we lagged past the buffer): take a new snapshot.
      if (ev.code === CLOSE_EXPIRED || ev.code === CLOSE_SLOW) this.lastIndex = undefined;
      this.handlers.status?.('retrying', ev.reason || `closed (${ev.code})`);
      this.timer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    };
  }
}
