/**
 * `/api/v1/namespaces/{ns}/pods/{name}/portforward` (`kubectl port-forward`), in the two ways
 * kubectl 1.32 asks for it (seen on the wire from kubectl 1.32.4):
 *
 * 1. `GET` upgraded to a WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io`: SPDY/3 frames
 *    tunnelled as the bytes of binary WebSocket messages (client-go's TunnelingConnection; a
 *    message boundary means nothing). kubectl tries this first.
 * 2. `POST` with `Upgrade: SPDY/3.1` and `X-Stream-Protocol-Version: portforward.k8s.io`, answered
 *    `101 Switching Protocols` with the same headers: SPDY on the raw connection. kubectl falls
 *    back to it when the WebSocket upgrade is refused.
 *
 * Over either, kubectl opens two streams per local connection it accepts, headers `streamtype`
 * (`error`, then `data`), `port` and `requestid` (the pair's key); it half-closes the error stream
 * at once. The server connects to the pod's port and copies both ways (half-closes pass through);
 * when the pod's side has ended it ends the data stream and then the error stream, empty — or
 * holding the reason the connection failed, which kubectl prints ("an error occurred forwarding
 * 8080 -> 8080: error forwarding port 8080 to pod …") before it gives up. Streams with a bad
 * header are refused (RST_STREAM), as the kubelet does.
 *
 * Before any upgrade, Kubernetes' own checks answer as Status documents: the pod (404), a pod
 * without a node (400). kubectl itself refuses pods that are not Running.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { Registry } from '../../registry/registry.ts';
import { SpdySession, type SpdyStream } from '../spdy/session.ts';
import { errorMessage } from '../../api/error-message.ts';

/** Where forwarded connections go: the pod's port, through the node that runs it. */
export interface PortForwardSource {
  /**
   * Connect to `port` of the pod. Resolves with the connection (a half-closable Duplex; its end
   * is the pod's FIN, destroying it drops the connection). Rejects with an error whose message is
   * what the client is told (the kubelet's wording: `error forwarding port 8080 to pod …`).
   * Must give up when `signal` aborts (the client went away).
   */
  connect(pod: KubeObject, port: number, signal: AbortSignal): Promise<Duplex>;
}

export interface PodPortForwardDeps {
  registry: Registry;
  portForward?: PortForwardSource;
  /** Streams that do not find their pair in time are dropped after this long (the kubelet's 30 s). */
  streamPairTimeoutMs?: number;
}

const PODS = findResource('', 'v1', 'pods')!;

/** The subprotocol kubectl speaks, plain (SPDY upgrade) and tunnelled over a WebSocket. */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

const STREAM_PAIR_TIMEOUT_MS = 30_000;

/** Kubernetes' checks before contacting the node. */
export function checkPortForward(pod: Pod): void {
  if (!pod.spec?.nodeName) throw ApiError.badRequest(`pod ${pod.metadata?.name ?? ''} does not have a host assigned`);
}

/** The port a stream names, or the kubelet's complaint about its headers. */
export function streamHeaderError(stream: { header(name: string): string | undefined }): string | undefined {
  const port = stream.header('port');
  if (!port) return '"port" header is required';
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const type = stream.header('streamtype');
  if (!type) return '"streamType" header is required';
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
  return undefined;
}

/**
 * Serves one port-forward upgrade. Throws an ApiError (for the caller to answer on the socket)
 * for anything found before the upgrade.
 */
export async function servePodPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, name: string, deps: PodPortForwardDeps): Promise<void> {
  const pod = (await deps.registry.get(PODS, namespace, name)) as Pod & KubeObject;
  checkPortForward(pod);
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  const forwarder = (): PortForwardSource => {
    if (!deps.portForward) throw ApiError.serviceUnavailable('port-forward is not available: no port-forward source is configured on this API server');
    return deps.portForward;
  };

  if (upgrade === 'websocket') {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(TUNNEL_PROTOCOL)) throw ApiError.badRequest(`unable to upgrade: port-forward over WebSocket speaks ${TUNNEL_PROTOCOL} only`);
    const source = forwarder();
    // `ws` refuses subprotocols with a '/' (not an RFC 7230 token): it is taken out of the
    // request and put back on the answer by hand.
    delete req.headers['sec-websocket-protocol'];
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    wss.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${TUNNEL_PROTOCOL}`));
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.close();
      const transport = createWebSocketStream(ws);
      // A client that drops the connection is not an error of the server.
      transport.on('error', () => {});
      forwardStreams(transport, pod, source, deps.streamPairTimeoutMs ?? STREAM_PAIR_TIMEOUT_MS);
    });
    return;
  }

  if (upgrade === 'spdy/3.1') {
    const versions = (req.headers['x-stream-protocol-version'] ?? '').toString().split(',').map((p) => p.trim());
    if (!versions.includes(PORT_FORWARD_PROTOCOL)) {
      throw new ApiError(403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]`);
    }
    const source = forwarder();
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
    if (head.length > 0) socket.unshift(head);
    socket.on('error', () => {});
    forwardStreams(socket, pod, source, deps.streamPairTimeoutMs ?? STREAM_PAIR_TIMEOUT_MS);
    return;
  }

  throw ApiError.badRequest(`unable to upgrade: port-forward needs a WebSocket (${TUNNEL_PROTOCOL}) or SPDY/3.1 upgrade`);
}

/** The error and data streams of one forwarded connection. */
interface StreamPair {
  requestId: string;
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Runs the SPDY session: pairs streams by request id and forwards each complete pair. */
function forwardStreams(transport: Duplex, pod: KubeObject, source: PortForwardSource, pairTimeoutMs: number): void {
  const pairs = new Map<string, StreamPair>();
  const closed = new AbortController();
  const session = new SpdySession(transport, {
    onStream(stream) {
      stream.on('error', () => {});
      const problem = streamHeaderError(stream);
      if (problem !== undefined) return stream.refuse();
      stream.accept();
      const type = stream.header('streamtype') as 'error' | 'data';
      // kubectl always sends a request id; without one (very old clients) the kubelet derives it
      // from the stream ids, the data stream following its error stream.
      const requestId = stream.header('requestid') ?? String(type === 'error' ? stream.id : stream.id - 2);
      let pair = pairs.get(requestId);
      if (!pair) {
        const created: StreamPair = {
          requestId,
          timer: setTimeout(() => {
            pairs.delete(requestId);
            created.error?.end(`timed out waiting for streams of request ${requestId}`);
            created.data?.destroy();
          }, pairTimeoutMs),
        };
        created.timer.unref();
        pair = created;
        pairs.set(requestId, pair);
      }
      if (pair[type]) {
        stream.end();
        pair.error?.end(`error processing stream for request ${requestId}: ${type} stream already assigned`);
        return;
      }
      pair[type] = stream;
      // kubectl half-closes the error stream at once and never writes to it: drain it, so it
      // ends (and is released) once the server has written its end too.
      if (type === 'error') stream.resume();
      if (pair.error && pair.data) {
        clearTimeout(pair.timer);
        pairs.delete(requestId);
        void forward(pair.data, pair.error, Number(stream.header('port')), pod, source, closed.signal);
      }
    },
  });
  void session.closed.then(() => {
    closed.abort();
    for (const pair of pairs.values()) clearTimeout(pair.timer);
  });
}

/** One forwarded connection: the pod's port ↔ the data stream, the outcome on the error stream. */
async function forward(data: SpdyStream, error: SpdyStream, port: number, pod: KubeObject, source: PortForwardSource, sessionClosed: AbortSignal): Promise<void> {
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  sessionClosed.addEventListener('abort', stop, { once: true });
  data.once('close', stop);
  let conn: Duplex;
  try {
    conn = await source.connect(pod, port, abort.signal);
  } catch (err) {
    sessionClosed.removeEventListener('abort', stop);
    // The kubelet's way: the reason on the error stream, then both streams closed.
    error.end(errorMessage(err));
    data.end();
    return;
  }
  sessionClosed.removeEventListener('abort', stop);
  if (data.destroyed) {
    conn.destroy();
    error.end();
    return;
  }
  // Client → pod (the client's FIN becomes the pod's), and pod → client.
  data.pipe(conn);
  conn.pipe(data);
  // Once the pod's side has been passed on, the error stream ends: kubectl waits for it.
  data.once('finish', () => error.end());
  conn.on('error', (err: Error) => {
    if (data.destroyed) return;
    error.end(`error forwarding port ${port} to pod ${pod.metadata?.name ?? ''}, uid ${pod.metadata?.uid ?? ''}: ${err.message}`);
    data.destroy();
  });
  // The client reset the stream or went away: drop the pod's connection, and end the error
  // stream (kubectl holds its local connection open until that ends).
  data.once('close', () => {
    if (!(data.readableEnded && data.writableFinished)) conn.destroy();
    if (!error.writableEnded) error.end();
  });
  // Dropped by the node without an end (its stream broke): the client's stream is reset.
  conn.once('close', () => {
    if (!conn.readableEnded && !data.destroyed) data.destroy();
  });
}
