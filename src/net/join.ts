/**
 * `/kactus/join/1.0.0`: a new node presents a join token and its description; the master checks
 * the token, registers the node and admits its peer id. One request, one answer, then both sides
 * close. This is the only protocol a not-yet-admitted peer may open.
 */
import type { PeerId } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { FramedStream } from './framed.ts';
import { JoinRefusedError } from './errors.ts';
import { JOIN_TIMEOUT_MS, MAX_INBOUND_STREAMS, PROTOCOL_JOIN } from './protocols.ts';
import type { MeshHost } from './host.ts';

export interface JoinRequest {
  token: string;
  nodeName: string;
  /** What the node offers: Kubernetes quantities (`cpu: "2"`, `memory: "24Gi"`, `pods: "110"`). */
  capacity: Record<string, string>;
  /** Multiaddrs the node listens on, so the master can dial back. */
  addresses: string[];
  /** Where the node's daemon makes local-path volumes (`<data dir>/volumes`); the Node carries it as an annotation. */
  localVolumesDir?: string;
  /**
   * A PKCS#10 request (PEM) for the node's own key: the master answers with a client certificate
   * `system:node:<name>` in `system:nodes` signed by the cluster CA (the node's API credentials).
   */
  csr?: string;
}

/** What admission gives a node besides its name: its client certificate, when it asked for one. */
export interface NodeCredentials {
  /** PEM, signed by the cluster CA. */
  certificate: string;
  /** The cluster CA (PEM), to verify the API server with. */
  caCertPem: string;
}

export interface JoinAccepted {
  nodeName: string;
  /** The master's peer id, which the node then trusts for actor streams. */
  masterPeerId: string;
  /** The cluster's pod network (`--cluster-cidr`): what the node's proxy treats as pod traffic. */
  clusterCIDR?: string;
  /** The node's client certificate, when the request carried a `csr`. */
  credentials?: NodeCredentials;
}

export interface JoinAuthority {
  /**
   * Check the token and register the node. Resolve with the accepted node name, or throw
   * JoinRefusedError with a reason the node is told.
   */
  admit(peer: PeerId, request: JoinRequest): Promise<{ nodeName: string; credentials?: NodeCredentials }>;
  /** Called for every refused attempt (for events and metrics). */
  onRefused?(peer: PeerId, reason: string): void;
}

/** A PEM certificate request is well under this; anything longer is refused unparsed. */
const MAX_CSR_BYTES = 16 * 1024;

function isCredentials(v: unknown): v is NodeCredentials {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return typeof c.certificate === 'string' && typeof c.caCertPem === 'string';
}

function isJoinRequest(body: unknown): body is JoinRequest {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.token === 'string' &&
    typeof b.nodeName === 'string' &&
    typeof b.capacity === 'object' &&
    b.capacity !== null &&
    Array.isArray(b.addresses) &&
    b.addresses.every((a) => typeof a === 'string') &&
    (b.localVolumesDir === undefined || typeof b.localVolumesDir === 'string') &&
    (b.csr === undefined || (typeof b.csr === 'string' && b.csr.length <= MAX_CSR_BYTES))
  );
}

/** Serve joins on the master. Returns a function that unregisters the handler. */
export async function serveJoin(host: MeshHost, authority: JoinAuthority, cluster: { clusterCIDR?: string } = {}): Promise<() => Promise<void>> {
  await host.handle(
    PROTOCOL_JOIN,
    async (stream, connection) => {
      const framed = new FramedStream(stream);
      const signal = AbortSignal.timeout(JOIN_TIMEOUT_MS);
      const peer = connection.remotePeer;
      try {
        const env = await framed.expect('join.request', signal);
        if (!isJoinRequest(env.body)) {
          await refuse(framed, authority, peer, 'malformed join request', signal);
          return;
        }
        try {
          const { nodeName, credentials } = await authority.admit(peer, env.body);
          const accepted: JoinAccepted = {
            nodeName,
            masterPeerId: host.peerId.toString(),
            ...(cluster.clusterCIDR ? { clusterCIDR: cluster.clusterCIDR } : {}),
            ...(credentials ? { credentials } : {}),
          };
          await framed.write('join.accepted', accepted, signal);
          await framed.close();
        } catch (err) {
          if (!(err instanceof JoinRefusedError)) throw err;
          await refuse(framed, authority, peer, err.reason, signal);
        }
      } catch (err) {
        // A bad frame, a timeout or a reset ends this stream only; the host keeps serving.
        framed.abort(err as Error);
      }
    },
    { maxInboundStreams: MAX_INBOUND_STREAMS },
  );
  return () => host.unhandle(PROTOCOL_JOIN);
}

async function refuse(framed: FramedStream, authority: JoinAuthority, peer: PeerId, reason: string, signal: AbortSignal): Promise<void> {
  authority.onRefused?.(peer, reason);
  await framed.write('join.refused', { reason }, signal);
  await framed.close();
}

/** Join a cluster from a node: dial the master, present the token, await the verdict. */
export async function requestJoin(host: MeshHost, master: string, request: JoinRequest): Promise<JoinAccepted> {
  const signal = AbortSignal.timeout(JOIN_TIMEOUT_MS);
  const stream = await host.dialProtocol(multiaddr(master), PROTOCOL_JOIN, { signal });
  const framed = new FramedStream(stream);
  try {
    await framed.write('join.request', request, signal);
    const env = await framed.read(signal);
    if (env.type === 'join.refused') {
      const reason = (env.body as { reason?: unknown } | undefined)?.reason;
      throw new JoinRefusedError(typeof reason === 'string' ? reason : 'refused');
    }
    if (env.type !== 'join.accepted') throw new JoinRefusedError(`unexpected answer ${env.type}`);
    const body = env.body as Partial<JoinAccepted> | undefined;
    if (typeof body?.nodeName !== 'string' || typeof body.masterPeerId !== 'string') {
      throw new JoinRefusedError('malformed join answer');
    }
    return {
      nodeName: body.nodeName,
      masterPeerId: body.masterPeerId,
      ...(typeof body.clusterCIDR === 'string' ? { clusterCIDR: body.clusterCIDR } : {}),
      ...(isCredentials(body.credentials) ? { credentials: body.credentials } : {}),
    };
  } finally {
    await framed.close();
  }
}
