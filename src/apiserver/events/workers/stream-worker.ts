/**
 * A stream worker thread (README.md): its own TLS listener on the API server's port (`reusePort`:
 * the kernel spreads new connections over the workers' listeners), its own EventHub following the
 * main thread's, and the event streams of the connections it accepted. Every other connection is
 * relayed to the main thread (relay.ts). Tokens and authorization decisions are asked of the main
 * thread, which holds the authenticators and the authorizer (main-link.ts).
 */
import type { IncomingMessage } from 'node:http';
import { createServer, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { requestUrl } from '../../http/request-url.ts';
import type { Authorizer } from '../../../registry/authorization/types.ts';
import { EventHub } from '../hub.ts';
import { serveEventStream, type EventStreamDeps } from '../serve.ts';
import { definitionLookup } from './definitions.ts';
import { MainLink } from './main-link.ts';
import type { StreamWorkerData, ToWorker } from './protocol.ts';
import { relayToMain } from './relay.ts';
import { isEventStreamUpgrade, parseRequestHead, readRequestHead } from './request-head.ts';

/** As Node's HTTP server: a head larger than this is refused (by the main thread's parser, which gets it). */
const MAX_HEAD_BYTES = 16 * 1024;
/** As Node's HTTP server's `headersTimeout`. */
const HEAD_TIMEOUT_MS = 60_000;
/** When the server stops: how long streams' clients have to read the 1001 close and answer it before their connections are cut. */
const GOING_AWAY_MS = 1_000;

const data = workerData as StreamWorkerData;
const port = parentPort!;
const log = pino({ name: `apiserver-stream-worker-${data.ordinal}`, level: data.logLevel });
const link = new MainLink(port);
const hub = new EventHub({ source: link, ...data.hub, logger: log });

const authorizer: Authorizer | undefined = data.authorizer ? { authorize: (attrs) => link.call({ method: 'authorize', attrs }).then((r) => r.decision) } : undefined;
const deps: EventStreamDeps = {
  hub,
  limits: data.limits,
  checkToken: (token) => link.call({ method: 'authenticate', token }).then((r) => r.user),
  definitionOf: definitionLookup(data.definitions),
  onClosed: (code) => link.post({ op: 'closed', code }),
  ...(authorizer ? { authorizer } : {}),
};

/** Every connection this worker holds (destroyed when it stops), and the relays to the main thread. */
const sockets = new Set<Socket>();
/** The connections that are event streams. */
const streams = new Set<Socket>();
const track = (s: Socket): void => {
  sockets.add(s);
  s.once('close', () => sockets.delete(s));
};

async function accept(socket: TLSSocket): Promise<void> {
  track(socket);
  socket.on('error', () => socket.destroy());
  const read = await readRequestHead(socket, MAX_HEAD_BYTES, HEAD_TIMEOUT_MS);
  if (!read) return void socket.destroy();
  const head = read.headEnd < 0 ? undefined : parseRequestHead(read.bytes.subarray(0, read.headEnd - 4).toString('latin1'));
  if (!head || !isEventStreamUpgrade(head)) return void track(relayToMain(socket, read.bytes, data.relayPath));
  // As Node's HTTP server hands an upgraded socket over: neither flowing nor paused, so the WebSocket's reader starts it.
  (socket as { readableFlowing: boolean | null }).readableFlowing = null;
  // What ws and the stream read of a request: its method, target and headers.
  const req = { method: head.method, url: head.url, headers: head.headers, socket } as unknown as IncomingMessage;
  link.post({ op: 'upgraded' });
  streams.add(socket);
  socket.once('close', () => streams.delete(socket));
  try {
    await serveEventStream(req, socket, read.bytes.subarray(read.headEnd), requestUrl(head.url), deps);
  } catch (err) {
    log.error({ err }, 'event stream failed');
    socket.destroy();
  }
}

// As Node's HTTPS server: no Nagle delay on small frames, HTTP/1.1 named in ALPN.
// Half-open as Node's own HTTP server is: a client that ends its side after the request still gets the answer.
const server = createServer({ ...data.tls, noDelay: true, allowHalfOpen: true, ALPNProtocols: ['http/1.1'] }, (socket) => void accept(socket));
server.on('tlsClientError', (_err, socket) => socket.destroy());

port.on('message', (msg: ToWorker) => {
  if (link.receive(msg)) return;
  if (msg.op === 'stats') {
    port.postMessage({ op: 'stats', id: msg.id, stats: { hub: `worker ${data.ordinal}`, clients: hub.clientCount, bufferedHighWater: hub.bufferedHighWater, floor: hub.floor, position: hub.position } });
  } else if (msg.op === 'stop') {
    void stop();
  }
});

/** Stops listening, closes every stream with 1001 (going away) and, once their clients answered (or after a grace period), ends. */
async function stop(): Promise<void> {
  server.close();
  hub.close(1001, 'server stopping');
  for (const s of sockets) if (!streams.has(s)) s.destroy();
  const deadline = Date.now() + GOING_AWAY_MS;
  while (streams.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  for (const s of sockets) s.destroy();
  link.fail(new Error('stream worker stopping'));
  port.postMessage({ op: 'stopped' });
}

server.once('error', (err: NodeJS.ErrnoException) => port.postMessage({ op: 'listen-failed', message: err.message, ...(err.code ? { code: err.code } : {}) }));
server.listen({ host: data.host, port: data.port, reusePort: true }, () => {
  const address = server.address();
  port.postMessage({ op: 'listening', port: typeof address === 'object' && address ? address.port : data.port });
});
