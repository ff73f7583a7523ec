/**
 * The libp2p host of a master or node daemon: TCP + noise + yamux, identify and ping, and
 * nothing that reaches beyond the configured addresses (no mDNS, UPnP, bootstrap lists, relays).
 */
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import type { Identify } from '@libp2p/identify';
import type { Ping } from '@libp2p/ping';
import { loadOrCreateIdentity } from './identity.ts';

export interface MeshHostOptions {
  /** Data dir holding the peer key. */
  dataDir: string;
  /** Multiaddrs to listen on; default loopback with an OS-picked port. */
  listen?: string[];
}

export type MeshHost = Libp2p<{ identify: Identify; ping: Ping }>;

export async function createMeshHost(opts: MeshHostOptions): Promise<MeshHost> {
  const privateKey = await loadOrCreateIdentity(opts.dataDir);
  return createLibp2p({
    privateKey,
    addresses: { listen: opts.listen ?? ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() },
  });
}
