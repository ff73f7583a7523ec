/**
 * Join tokens and admission of new nodes (`kactus token create`, `/kactus/join/1.0.0`).
 *
 * Tokens are kubeadm bootstrap tokens: a Secret `kube-system/bootstrap-token-<id>` of type
 * `bootstrap.kubernetes.io/token` holding token-id, token-secret, expiration (RFC 3339) and
 * usage-bootstrap-authentication "true". Since they live in the store, every master admits
 * with tokens any master created.
 *
 * Admission: parse the token, read its Secret, compare the secret in constant time, check the
 * expiry, then create or update the Node (labels, the `kactus.io/peer-id` and
 * `kactus.io/addresses` annotations, capacity and allocatable), and sign the node's certificate
 * request (its API credentials, node-credentials.ts). The peer id is bound to the node name both
 * ways: a peer already registered under another node name is refused, and so is a new peer
 * claiming the name of a Node another peer holds while that Node is Ready (kubeadm refuses to
 * join over a Ready Node of the same name too; once it is NotReady or deleted, the name is free).
 * Each refusal records a Warning Event `JoinRefused`.
 */
import type { PeerId } from '@libp2p/interface';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isRecord, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { ANN_LOCAL_VOLUMES_DIR } from '../api/storage/names.ts';
import type { Registry } from '../registry/registry.ts';
import { JoinRefusedError } from '../net/errors.ts';
import type { JoinAuthority, JoinRequest } from '../net/join.ts';
import { formatToken, generateToken, parseToken, secretsEqual } from '../net/token.ts';
import type { EventSink } from '../registry/event-recorder.ts';
import { isNotFound, retryOnConflict } from '../registry/retry-on-conflict.ts';
import { CertificateRequestError } from '../apiserver/client-certificates.ts';
import type { NodeCredentials } from '../net/join.ts';
import { issueNodeCredentials, type NodeCertificateSigner } from './node-credentials.ts';

const SECRETS = findKind('v1', 'Secret') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;

/** Annotation holding a node's libp2p peer id: the key of its admission. */
export const PEER_ID_ANNOTATION = 'kactus.io/peer-id';
/** Annotation holding a node's multiaddrs, comma-separated, so masters can dial it. */
export const ADDRESSES_ANNOTATION = 'kactus.io/addresses';
/** kubeadm's Secret type for bootstrap tokens. */
export const BOOTSTRAP_TOKEN_TYPE = 'bootstrap.kubernetes.io/token';
/** kubeadm's default token lifetime: 24 h. */
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 60 * 60;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (v: unknown): string | undefined => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined);

export interface JoinTokenResult {
  /** `<id>.<secret>`. */
  token: string;
  /** The whole line to run on the new machine. */
  joinCommand: string;
  /** RFC 3339 expiry. */
  expiration: string;
}

export interface CreateJoinTokenOptions {
  registry: Registry;
  /** The masters' mesh multiaddrs (with /p2p/<id>), joined by commas in the join line. */
  meshAddrs: string[];
  /** Lifetime; default 24 h like kubeadm. */
  ttlSeconds?: number;
  now?: () => Date;
}

/**
 * The bootstrap-token Secret for a new token, as kubeadm writes it (`kube-system/bootstrap-token-<id>`).
 * Pure: the master writes it through its Registry, `kactus token create` through the API.
 */
export function bootstrapTokenSecret(now: Date, ttlSeconds: number = DEFAULT_TOKEN_TTL_SECONDS): { secret: KubeObject; token: string; expiration: string } {
  const t = generateToken();
  const expiration = new Date(now.getTime() + ttlSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${t.id}`, namespace: 'kube-system' },
    type: BOOTSTRAP_TOKEN_TYPE,
    data: {
      'token-id': b64(t.id),
      'token-secret': b64(t.secret),
      expiration: b64(expiration),
      'usage-bootstrap-authentication': b64('true'),
      description: b64('kactus join token'),
    },
  };
  return { secret, token: formatToken(t), expiration };
}

/** The line to run on a new machine to join through the masters at `meshAddrs`. */
export function joinCommandFor(meshAddrs: readonly string[], token: string): string {
  return `kactus node --data-dir DIR --join ${meshAddrs.join(',')} --token ${token}`;
}

/** Writes a bootstrap-token Secret and returns the token and the join line. */
export async function createJoinToken(opts: CreateJoinTokenOptions): Promise<JoinTokenResult> {
  const { secret, token, expiration } = bootstrapTokenSecret(opts.now?.() ?? new Date(), opts.ttlSeconds);
  await opts.registry.create(SECRETS, 'kube-system', secret);
  return { token, expiration, joinCommand: joinCommandFor(opts.meshAddrs, token) };
}

export interface ClusterJoinAuthorityOptions {
  registry: Registry;
  events: EventSink;
  /** Signs the client certificates of nodes that ask (join request `csr`); without one they get none. */
  certificates?: NodeCertificateSigner;
  /** Lifetime of the certificates it signs (default one year, as the kubelet's). */
  certificateValiditySeconds?: number;
  now?: () => Date;
}

/** The master's JoinAuthority: tokens from bootstrap-token Secrets, nodes registered in the store. */
export class ClusterJoinAuthority implements JoinAuthority {
  private readonly now: () => Date;

  constructor(private readonly opts: ClusterJoinAuthorityOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  async admit(peer: PeerId, request: JoinRequest): Promise<{ nodeName: string; credentials?: NodeCredentials }> {
    try {
      await this.checkToken(request.token);
      // Signed before the Node is written: a request that does not verify registers nothing.
      const credentials = request.csr === undefined ? undefined : await this.sign(request.nodeName, request.csr);
      await this.register(peer.toString(), request);
      return { nodeName: request.nodeName, ...(credentials ? { credentials } : {}) };
    } catch (err) {
      const refusal = err instanceof JoinRefusedError ? err : err instanceof ApiError ? new JoinRefusedError(err.message) : undefined;
      if (!refusal) throw err;
      await this.opts.events.record(
        { kind: 'Node', apiVersion: 'v1', name: request.nodeName },
        'Warning',
        'JoinRefused',
        `Peer ${peer.toString()} was refused joining as node ${request.nodeName}: ${refusal.reason}`,
        { source: { component: 'kactus-master' } },
      );
      throw refusal;
    }
  }

  private async sign(nodeName: string, csr: string): Promise<NodeCredentials | undefined> {
    if (!this.opts.certificates) return undefined;
    try {
      return await issueNodeCredentials(this.opts.certificates, nodeName, csr, this.opts.certificateValiditySeconds);
    } catch (err) {
      if (err instanceof CertificateRequestError) throw new JoinRefusedError(err.message);
      throw err;
    }
  }

  /** Refuses (JoinRefusedError) unless the token names a live bootstrap-token Secret. */
  private checkToken(text: string): Promise<void> {
    return checkBootstrapToken(this.opts.registry, text, 'authentication', this.now());
  }

  /** Creates the Node, or updates its peer id, addresses and resources when it joins again. */
  private async register(peerId: string, request: JoinRequest): Promise<void> {
    const { registry } = this.opts;
    const nodes = await registry.list(NODES, undefined);
    const holder = nodes.items.find((n) => n.metadata?.annotations?.[PEER_ID_ANNOTATION] === peerId && n.metadata?.name !== request.nodeName);
    if (holder) throw new JoinRefusedError(`peer ${peerId} is already registered as node ${holder.metadata?.name ?? ''}`);
    const existing = nodes.items.find((n) => n.metadata?.name === request.nodeName);
    const existingPeer = existing?.metadata?.annotations?.[PEER_ID_ANNOTATION];
    if (existing && existingPeer && existingPeer !== peerId && isReady(existing)) {
      throw new JoinRefusedError(`a Node with name "${request.nodeName}" and status "Ready" already exists in the cluster, held by another peer; delete it, or wait until it is NotReady, to join under that name`);
    }
    const annotations: Record<string, string> = { [PEER_ID_ANNOTATION]: peerId, [ADDRESSES_ANNOTATION]: request.addresses.join(',') };
    // Where its local-path volumes go (src/actors/volume/local-provisioner.ts reads it).
    if (request.localVolumesDir) annotations[ANN_LOCAL_VOLUMES_DIR] = request.localVolumesDir;
    const labels = { 'kubernetes.io/hostname': request.nodeName, 'kubernetes.io/os': 'linux' };
    const resources = { capacity: request.capacity, allocatable: request.capacity };
    try {
      await registry.create(NODES, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: request.nodeName, labels, annotations },
        spec: {},
        status: resources,
      });
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
    await retryOnConflict(async () => {
      const node = await registry.get(NODES, undefined, request.nodeName);
      const meta = node.metadata ?? {};
      await registry.update(NODES, undefined, request.nodeName, {
        ...node,
        metadata: { ...meta, labels: { ...meta.labels, ...labels }, annotations: { ...meta.annotations, ...annotations } },
      });
    });
    await retryOnConflict(async () => {
      const node = await registry.get(NODES, undefined, request.nodeName);
      const status = isRecord(node.status) ? node.status : {};
      await registry.updateStatus(NODES, undefined, request.nodeName, { ...node, status: { ...status, ...resources } });
    });
  }
}

/** The Node's Ready condition is True. */
function isReady(node: KubeObject): boolean {
  const conditions = isRecord(node.status) && Array.isArray(node.status.conditions) ? node.status.conditions : [];
  return conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');
}

/**
 * Refuses (JoinRefusedError) unless `text` names a live bootstrap-token Secret whose
 * `usage-bootstrap-<usage>` is "true": `authentication` for node joins, `kactus-master-join` for a
 * master joining the etcd cluster (src/master/etcd/master-token.ts).
 */
export async function checkBootstrapToken(registry: Registry, text: string, usage: string, now: Date): Promise<void> {
  const token = parseToken(text);
  if (!token) throw new JoinRefusedError('malformed token');
  let secret: KubeObject;
  try {
    secret = await registry.get(SECRETS, 'kube-system', `bootstrap-token-${token.id}`);
  } catch (err) {
    if (isNotFound(err)) throw new JoinRefusedError('invalid token');
    throw err;
  }
  const data = isRecord(secret.data) ? secret.data : {};
  const stored = unb64(data['token-secret']);
  if (secret.type !== BOOTSTRAP_TOKEN_TYPE || stored === undefined || !secretsEqual(token.secret, stored)) throw new JoinRefusedError('invalid token');
  if (unb64(data[`usage-bootstrap-${usage}`]) !== 'true') throw new JoinRefusedError(usage === 'authentication' ? 'token is not usable for authentication' : `token is not usable for ${usage}`);
  const expiration = unb64(data.expiration);
  if (expiration !== undefined && Date.parse(expiration) <= now.getTime()) throw new JoinRefusedError('token has expired');
}
