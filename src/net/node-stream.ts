/**
 * Per-request streams between a master and a node daemon (logs, exec): the node serves a
 * protocol to admitted peers only; the master dials the node's announced addresses
 * (multiaddrs ending in `/p2p/<peer id>`) in turn, the first that answers wins.
 */
import type { PeerId, Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { PeerNotAdmittedError } from './errors.ts';
import { FramedStream } from './framed.ts';
import type { MeshHost } from './host.ts';
import { MAX_INBOUND_STREAMS } from './protocols.ts';

/**
 * Serve `protocol` on a node: streams from peers that are not admitted are reset; `serve` gets
 * each other one framed. Returns a function that unregisters the handler.
 */
export async function serveNodeStream(
  host: MeshHost,
  protocol: string,
  isAdmitted: (peer: PeerId) => boolean | Promise<boolean>,
  serve: (framed: FramedStream) => Promise<void>,
): Promise<() => Promise<void>> {
  await host.handle(
    protocol,
    async (stream, connection) => {
      if (!(await isAdmitted(connection.remotePeer))) {
        stream.abort(new PeerNotAdmittedError(connection.remotePeer.toString()));
        return;
      }
      await serve(new FramedStream(stream));
    },
    { maxInboundStreams: MAX_INBOUND_STREAMS },
  );
  return () => host.unhandle(protocol);
}

/** Open `protocol` on the node; `unreachable(detail)` is thrown when no address answers. */
export async function dialNode(host: MeshHost, nodeAddrs: readonly string[], protocol: string, signal: AbortSignal, unreachable: (detail: string) => Error): Promise<Stream> {
  const failures: string[] = [];
  for (const addr of nodeAddrs) {
    try {
      return await host.dialProtocol(multiaddr(addr), protocol, { signal });
    } catch (err) {
      if (signal.aborted) throw err;
      failures.push(`${addr}: ${(err as Error).message}`);
    }
  }
  throw unreachable(failures.join('; ') || 'no addresses known');
}
