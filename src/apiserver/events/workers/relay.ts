/**
 * Connections a stream worker does not serve (every request but an event stream's upgrade) go to
 * the main thread whole: the worker, which terminated TLS, pipes the plain bytes to the main
 * thread's relay socket (a Unix socket in a directory only this user can enter), after one line
 * of JSON naming the peer — its address and the client certificate TLS verified — so that x509
 * authentication and audit records see what they saw on a direct connection.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { RelayedPeer } from './protocol.ts';

/** Longest peer line the main thread accepts (a certificate's subject and extensions fit easily). */
const MAX_PEER_LINE = 64 * 1024;

/** Worker side: `socket`'s connection, `first` (the bytes already read off it) and the rest, to the main thread. */
export function relayToMain(socket: TLSSocket, first: Buffer, relayPath: string): Socket {
  const cert = socket.getPeerCertificate(false) as unknown as Record<string, unknown> | null;
  const { raw: _raw, pubkey: _pubkey, ...certificate } = cert ?? {};
  const peer: RelayedPeer = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, remoteFamily: socket.remoteFamily, authorized: socket.authorized, certificate };
  const up = connect(relayPath);
  up.write(`${JSON.stringify(peer)}\n`);
  up.write(first);
  socket.pipe(up);
  up.pipe(socket);
  socket.on('error', () => up.destroy());
  up.on('error', () => socket.destroy());
  // The client is gone: nobody reads the answer.
  socket.on('close', () => up.destroy());
  // The main thread closed without ending (a destroyed connection): so is the client's. After a normal end, `pipe` ended the TLS side and it flushes.
  up.on('close', () => {
    if (!socket.writableEnded) socket.destroy();
  });
  return up;
}

/**
 * Main side: a server on `path` whose connections start with the peer line; each is then given
 * to `onConnection` looking, for the API server's purposes, like the TLS socket it came in on
 * (`remoteAddress`, `authorized`, `getPeerCertificate`).
 */
export function relayServer(onConnection: (socket: Socket) => void): Server {
  // Half-open, so a client's end reaches the HTTP server while its answer can still be written.
  return createServer({ allowHalfOpen: true }, (socket) => {
    let buffered = Buffer.alloc(0);
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buffered = Buffer.concat([buffered, chunk]);
        const nl = buffered.indexOf(0x0a);
        if (nl < 0) {
          if (buffered.length > MAX_PEER_LINE) socket.destroy();
          continue;
        }
        socket.off('readable', onReadable);
        let peer: RelayedPeer;
        try {
          peer = JSON.parse(buffered.subarray(0, nl).toString('utf8')) as RelayedPeer;
        } catch {
          socket.destroy();
          return;
        }
        const rest = buffered.subarray(nl + 1);
        if (rest.length > 0) socket.unshift(rest);
        dressAsPeer(socket, peer);
        onConnection(socket);
        return;
      }
    };
    socket.on('readable', onReadable);
    socket.on('error', () => socket.destroy());
  });
}

function dressAsPeer(socket: Socket, peer: RelayedPeer): void {
  const certificate = peer.certificate;
  Object.defineProperties(socket, {
    remoteAddress: { value: peer.remoteAddress, configurable: true },
    remotePort: { value: peer.remotePort, configurable: true },
    remoteFamily: { value: peer.remoteFamily, configurable: true },
    encrypted: { value: true, configurable: true },
    authorized: { value: peer.authorized, configurable: true },
    getPeerCertificate: { value: () => certificate, configurable: true },
  });
}
