/**
 * A test client of `/kactus/v1/events`: connects with `ws` (trusting the cluster's CA), decodes
 * every frame (JSON text or msgpack binary), keeps them in order, and records how the server
 * closed. Waits are predicates with deadlines, never sleeps.
 */
import { unpack } from 'msgpackr';
import WebSocket from 'ws';

export interface StreamMessage {
  type: string;
  index?: number;
  [key: string]: unknown;
}

export type StreamAuth = 'header' | 'protocol' | 'query' | 'none';

export interface OpenStreamOptions {
  /** `https://host:port` of the API server. */
  url: string;
  ca: string;
  token: string;
  /** Query parameters (`kind`, `index`, `format`, …). */
  query?: Record<string, string | string[]>;
  auth?: StreamAuth;
  /** Extra subprotocols to offer. */
  protocols?: string[];
}

export class StreamReader {
  readonly messages: StreamMessage[] = [];
  closeCode: number | undefined;
  closeReason = '';
  /** The subprotocol the server chose ('' for none). */
  protocol = '';
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const msg = isBinary ? (unpack(data as Buffer) as StreamMessage) : (JSON.parse((data as Buffer).toString('utf8')) as StreamMessage);
      this.messages.push(msg);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString('utf8');
      this.wake();
    });
    ws.on('error', () => this.wake());
  }

  static open(opts: OpenStreamOptions): Promise<StreamReader> {
    const url = new URL('/kactus/v1/events', opts.url.replace(/^http/, 'ws'));
    for (const [k, v] of Object.entries(opts.query ?? {})) for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, one);
    const auth = opts.auth ?? 'header';
    const protocols = [...(opts.protocols ?? [])];
    const headers: Record<string, string> = {};
    if (auth === 'header') headers.Authorization = `Bearer ${opts.token}`;
    if (auth === 'query') url.searchParams.set('access_token', opts.token);
    if (auth === 'protocol') protocols.push('kactus.events.v1', `base64url.bearer.authorization.k8s.io.${Buffer.from(opts.token).toString('base64url')}`);
    const ws = new WebSocket(url, protocols, { ca: opts.ca, headers, perMessageDeflate: false });
    const reader = new StreamReader(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        reader.protocol = ws.protocol;
        resolve(reader);
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closeCode !== undefined;
  }

  /** Indexes of the transition and event messages received, in order. */
  indexes(types: string[] = ['transition', 'event']): number[] {
    return this.messages.filter((m) => types.includes(m.type)).map((m) => m.index!);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `predicate` holds over what arrived (or fails at the deadline, naming `what`). */
  async until(what: string, predicate: (r: this) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.messages.length} messages, close ${this.closeCode ?? 'none'})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the server's close. */
  async closedWith(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    await this.until('the close', (r) => r.closed, timeoutMs);
    return { code: this.closeCode!, reason: this.closeReason };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.ws.close();
    return this.closedWith().then(() => undefined);
  }
}

/** A server's stream figures over its hubs (the main thread's and each stream worker's). */
export async function streamFigures(server: { eventStreamStats(): Promise<{ clients: number; bufferedHighWater: number; floor: number }[]> }): Promise<{ clients: number; bufferedHighWater: number; floor: number }> {
  const hubs = await server.eventStreamStats();
  return {
    clients: hubs.reduce((n, h) => n + h.clients, 0),
    bufferedHighWater: Math.max(...hubs.map((h) => h.bufferedHighWater)),
    // An index at or above every hub's floor is in every hub's ring.
    floor: Math.max(...hubs.map((h) => h.floor)),
  };
}
