/**
 * One more address for a running HTTPS server: a plain TCP listener whose connections are handed
 * to the server as its own (`'connection'`), so TLS, routing, upgrades and the server's
 * connection tracking apply unchanged. A Node server listens on one address; the API server
 * needs a second one when pods must reach it (the node's pod bridge gateway) while it stays off
 * every other interface.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';

/** Listens on `host:port` and feeds `server`; resolves once listening (rejects with the bind error). */
export async function listenBeside(server: TlsServer, host: string, port: number): Promise<NetServer> {
  const extra = createServer((socket: Socket) => server.emit('connection', socket));
  await new Promise<void>((resolve, reject) => {
    extra.once('error', reject);
    extra.listen(port, host, () => {
      extra.off('error', reject);
      resolve();
    });
  });
  return extra;
}
