/**
 * The API server's HTTPS listeners: the main one (`host:port`), and the ones added later on
 * other addresses of this machine (`ApiServer.listenAlso`: the node's pod bridge gateway, where
 * pods reach the API through the `kubernetes` Service). Every listener serves the same handlers
 * and certificate, and its connections are tracked so that closing the server ends them.
 *
 * Pod-facing listeners also accept TLS 1.2 clients that send no `signature_algorithms` extension
 * (busybox's wget, other minimal TLS stacks), which RFC 5246 says get SHA-1 signatures: OpenSSL 3
 * refuses those at any security level above 0, Go's crypto/tls (kube-apiserver 1.32) accepts them.
 * The cipher list stays Node's default (no weak ciphers), TLS 1.2 stays the minimum, and a client
 * that names its algorithms gets SHA-256 or better as before; the main (loopback) listener keeps
 * OpenSSL's defaults.
 */
import { createServer, type Server, type ServerOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_CIPHERS } from 'node:tls';
import { answerClientError } from './http/client-error.ts';

/** TLS settings of a pod-facing listener (see above). */
export const POD_FACING_TLS: ServerOptions = { ciphers: `${DEFAULT_CIPHERS}:@SECLEVEL=0` };

export interface ListenerHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Every open connection of every listener (destroyed on close). */
  sockets: Set<Socket>;
}

/** An HTTPS server with `tls` (cert, key, …) serving `handlers`, listening on `host:port`; resolves once listening (rejects with the bind error). */
export async function startListener(tls: ServerOptions, handlers: ListenerHandlers, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer(tls, handlers.request);
  server.on('upgrade', handlers.upgrade);
  server.on('clientError', answerClientError);
  server.on('connection', (s: Socket) => {
    handlers.sockets.add(s);
    s.on('close', () => handlers.sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Stops accepting on `server`; resolves when it has no connections left (the caller destroys them). */
export function stopListener(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
