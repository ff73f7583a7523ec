/**
 * A small Kubernetes REST client over node:https (and node:http for plain servers): JSON requests,
 * typed Status errors, and watch streams (one JSON event per line).
 */
import http from 'node:http';
import https from 'node:https';
import type { ClusterConnection } from './kubeconfig.ts';
import { ApiStatusError, ConnectionError, type ApiStatus } from './errors.ts';

/** Options of one request. `body` is JSON-encoded unless it is a string. */
export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One watch event as the API server streams it. */
export interface WatchEvent<T = Record<string, unknown>> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** A running watch: `done` settles when the server ends the stream or `close()` is called. */
export interface WatchStream {
  done: Promise<void>;
  close(): void;
}

/** The Accept header kubectl sends for `get`: a server-side Table, else plain JSON. */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

/** A REST client for one cluster connection. Holds no sockets between requests. */
export class KubeClient {
  private readonly base: URL;

  constructor(readonly conn: ClusterConnection) {
    this.base = new URL(conn.server);
  }

  /** Sends a request and returns the raw response whatever its status; throws ConnectionError. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const body = encodeBody(opts.body);
    return new Promise((resolve, reject) => {
      const req = this.open(method, path, { ...opts, bodyLength: body?.length }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (err) => reject(new ConnectionError(this.conn.server, err)));
      });
      req.on('error', (err) => reject(new ConnectionError(this.conn.server, err)));
      req.end(body);
    });
  }

  /** Sends a request and parses a 2xx JSON answer; any other status throws ApiStatusError. */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, { accept: 'application/json', ...opts });
    if (res.status < 200 || res.status > 299) throw statusError(res.status, res.body);
    return JSON.parse(res.body) as T;
  }

  /**
   * Sends a GET and resolves with the response once a 2xx status arrived, its body unread (a
   * log being followed); any other status throws ApiStatusError. Destroy the response to stop.
   */
  stream(path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.open('GET', path, opts, (res) => {
        if ((res.statusCode ?? 0) < 300) return resolve(res);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(statusError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
        res.on('error', (err) => reject(new ConnectionError(this.conn.server, err)));
      });
      req.on('error', (err) => reject(new ConnectionError(this.conn.server, err)));
      req.end();
    });
  }

  /**
   * Starts a watch (`?watch=true` is added) and calls `onEvent` for every event line. `done`
   * resolves when the stream ends and rejects with ApiStatusError when the server refuses it.
   */
  watch(path: string, opts: RequestOptions, onEvent: (ev: WatchEvent) => void): WatchStream {
    let req: http.ClientRequest | undefined;
    let closed = false;
    const done = new Promise<void>((resolve, reject) => {
      req = this.open('GET', path, { ...opts, query: { ...opts.query, watch: 'true' } }, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(statusError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
          return;
        }
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (err) => (closed ? resolve() : reject(new ConnectionError(this.conn.server, err))));
      });
      req.on('error', (err) => (closed ? resolve() : reject(new ConnectionError(this.conn.server, err))));
      req.end();
    });
    return {
      done,
      close: () => {
        closed = true;
        req?.destroy();
      },
    };
  }

  private open(
    method: string,
    path: string,
    opts: RequestOptions & { bodyLength?: number },
    onResponse: (res: http.IncomingMessage) => void,
  ): http.ClientRequest {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: http.OutgoingHttpHeaders = { Accept: opts.accept ?? 'application/json', 'User-Agent': 'kactus-cli' };
    if (opts.bodyLength !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      // An explicit length, not chunked encoding: servers may refuse chunked bodies on DELETE.
      headers['Content-Length'] = opts.bodyLength;
    }
    if (this.conn.token) headers.Authorization = `Bearer ${this.conn.token}`;
    const common = { method, headers, agent: false as const };
    if (url.protocol === 'http:') return http.request(url, common, onResponse);
    return https.request(
      url,
      {
        ...common,
        ca: this.conn.caPem,
        cert: this.conn.clientCertPem,
        key: this.conn.clientKeyPem,
        rejectUnauthorized: !this.conn.insecureSkipTlsVerify,
      },
      onResponse,
    );
  }
}

/** Builds the typed error for a failed response, from its Status body when it has one. */
export function statusError(httpStatus: number, body: string): ApiStatusError {
  let status: ApiStatus = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) status = parsed as ApiStatus;
  } catch {
    status = { message: body.trim() || `HTTP ${httpStatus}` };
  }
  if (status.kind !== 'Status') status = { message: body.trim() || `HTTP ${httpStatus}`, code: httpStatus };
  return new ApiStatusError(httpStatus, status);
}

function encodeBody(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
}
