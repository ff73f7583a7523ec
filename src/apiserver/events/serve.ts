/**
 * `/kactus/v1/events` (the WebSocket upgrade: authentication, query, then a StreamClient on the
 * hub) and `/kactus/v1/history/{kind}/{namespace}/{name}` (one object's transitions). README.md is
 * the contract.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { UserInfo } from '../http/auth.ts';
import { bearerToken } from '../http/auth.ts';
import { writeJson } from '../http/respond.ts';
import { readHistory } from '../../registry/transition-log/reader.ts';
import type { Store } from '../../store/types.ts';
import { StreamClient } from './client.ts';
import type { EventHub } from './hub.ts';
import { entryMessage } from './messages.ts';
import { parseStreamQuery, StreamQueryError } from './query.ts';
import { StreamAccess } from './access.ts';
import { isPrivileged } from '../../registry/authorization/privileged.ts';
import type { Authorizer } from '../../registry/authorization/types.ts';
import { forbiddenMessage } from '../authz/forbidden.ts';

/** The subprotocol a browser offers beside its token, and the one the server answers with. */
export const STREAM_PROTOCOL = 'kactus.events.v1';
/** Kubernetes' way to carry a bearer token in a WebSocket subprotocol. */
export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

export interface EventStreamLimits {
  /** Bytes the server holds for one client before closing it with 4429 (default 8 MiB). */
  maxBufferedBytes: number;
  /** Time a closed client has to read its close frame (default 5 s). */
  closeTimeoutMs: number;
}

export const DEFAULT_STREAM_LIMITS: EventStreamLimits = { maxBufferedBytes: 8 * 1024 * 1024, closeTimeoutMs: 5_000 };

export interface EventStreamDeps {
  hub: EventHub;
  limits: EventStreamLimits;
  /** The server's token check (admin token, then others). */
  checkToken(token: string): Promise<UserInfo | undefined>;
  /** `format=stately`: a machine kind's definition as JSON. */
  definitionOf?: (machineKind: string) => string | undefined;
  /** Counts connections by how they ended (metrics). */
  onClosed?: (code: number) => void;
  /** The server's authorizer: `get` on the stream's path, then what each entry shows (access.ts). Absent: everything. */
  authorizer?: Authorizer;
}

/** The token of a request: the Authorization header, the bearer subprotocol, or `access_token`. */
export function streamToken(req: IncomingMessage, url: URL): string | undefined {
  const header = bearerToken(req);
  if (header !== undefined) return header;
  for (const p of offeredProtocols(req)) {
    if (!p.startsWith(BEARER_PROTOCOL_PREFIX)) continue;
    const encoded = p.slice(BEARER_PROTOCOL_PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
    return Buffer.from(encoded, 'base64url').toString('utf8');
  }
  return url.searchParams.get('access_token') ?? undefined;
}

function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
}

const wss = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  // Clients send nothing the server reads.
  maxPayload: 4096,
  // Never echo the token's subprotocol; a browser that offered ours gets it.
  handleProtocols: (protocols) => (protocols.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
});

/**
 * Upgrade, then check: an unauthenticated client is closed with 4401, a bad query with 4400 (a
 * browser cannot read the status of a refused upgrade, but it can read a close code).
 */
export async function serveEventStream(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, deps: EventStreamDeps): Promise<void> {
  const token = streamToken(req, url);
  const user = token === undefined ? undefined : await deps.checkToken(token);
  // A request ws refuses (no key, bad version) is answered 400 by ws and never reaches the callback.
  const ws = await new Promise<WebSocket | undefined>((resolve) => {
    socket.once('close', () => resolve(undefined));
    wss.handleUpgrade(req, socket, head, resolve);
  });
  if (!ws) return;
  if (!user) return ws.close(4401, 'unauthorized');
  let access: StreamAccess | undefined;
  if (deps.authorizer && !isPrivileged(user)) {
    const attrs = { user, resourceRequest: false, verb: 'get', path: url.pathname } as const;
    const decision = await deps.authorizer.authorize(attrs);
    if (decision.decision !== 'allow') return ws.close(4403, closeReason(forbiddenMessage(attrs)));
    access = new StreamAccess(user, deps.authorizer);
  }
  let query;
  try {
    query = parseStreamQuery(url.searchParams);
  } catch (err) {
    if (!(err instanceof StreamQueryError)) throw err;
    return ws.close(4400, err.message);
  }
  const client = new StreamClient({
    hub: deps.hub,
    ws,
    socket,
    query,
    maxBufferedBytes: deps.limits.maxBufferedBytes,
    closeTimeoutMs: deps.limits.closeTimeoutMs,
    ...(deps.definitionOf ? { definitionOf: deps.definitionOf } : {}),
    ...(deps.onClosed ? { onClosed: deps.onClosed } : {}),
    ...(access ? { access } : {}),
  });
  await client.start();
}

/** Close reasons travel in a close frame: at most 123 bytes. */
function closeReason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : `${Buffer.from(text).subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '')}...`;
}

/** `GET /kactus/v1/history/{kind}/{namespace|_}/{name}`: the object's retained transitions, in index order. */
export async function serveHistory(res: ServerResponse, store: Store, kind: string, namespace: string, name: string): Promise<void> {
  const { revision, items } = await readHistory(store, { kind, namespace: namespace === '_' ? '' : namespace, name });
  writeJson(res, 200, { kind: 'TransitionHistory', apiVersion: 'kactus.io/v1', index: revision, items: items.map(entryMessage) });
}
