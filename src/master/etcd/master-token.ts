/**
 * Tokens that let a new master join the cluster's etcd (`kactus master --server URL --token T`),
 * in k3s's "secure" format `K10<CA hash>::<credentials>`: the hash is the SHA-256 of the cluster
 * CA's PEM (as `DIR/pki/ca.crt` holds it), so the joiner checks it talks to the real cluster before
 * it sends the credentials; the credentials are a kubeadm bootstrap token `<id>.<secret>` kept
 * in a `bootstrap.kubernetes.io/token` Secret, as node join tokens are.
 *
 * A token of its own kind (the usage `usage-bootstrap-kactus-master-join`, not `authentication`):
 * a joining master receives the encryption keys and an etcd peer certificate, and through the
 * store the CA key and admin token — everything —, so a token handed out to join a node must not
 * also make a master (k3s separates its server token from agent tokens for the same reason).
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../api/object.ts';
import { formatToken, generateToken, parseToken } from '../../net/token.ts';
import { BOOTSTRAP_TOKEN_TYPE } from '../join-authority.ts';

/** The bootstrap-token usage that admits a master (checked by checkBootstrapToken). */
export const MASTER_JOIN_USAGE = 'kactus-master-join';
const PREFIX = 'K10';

/** Hex SHA-256 of the CA certificate's PEM text, exactly as stored (k3s hashes the PEM on disk). */
export function caCertHash(caCertPem: string): string {
  return createHash('sha256').update(caCertPem).digest('hex');
}

export interface MasterJoinToken {
  /** Hex SHA-256 of the cluster CA's PEM. */
  caHash: string;
  /** The bootstrap token `<id>.<secret>`. */
  credentials: string;
}

/** `K10<hash>::<id>.<secret>`. */
export function formatMasterJoinToken(caCertPem: string, credentials: string): string {
  return `${PREFIX}${caCertHash(caCertPem)}::${credentials}`;
}

/** Parses `K10<64 hex>::<id>.<secret>`; undefined for anything else (a plain node token included). */
export function parseMasterJoinToken(text: string): MasterJoinToken | undefined {
  const m = /^K10([0-9a-f]{64})::(.+)$/.exec(text.trim());
  if (!m || !parseToken(m[2]!)) return undefined;
  return { caHash: m[1]!, credentials: m[2]! };
}

/**
 * The Secret of a new master join token and the token's credentials. `ttlSeconds` 0 = never
 * expires (kubeadm's `--ttl 0`; the token `--cluster-init` makes, revocable with `kactus token delete`).
 */
export function masterJoinTokenSecret(now: Date, ttlSeconds: number): { secret: KubeObject; credentials: string } {
  const t = generateToken();
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  const data: Record<string, string> = {
    'token-id': b64(t.id),
    'token-secret': b64(t.secret),
    [`usage-bootstrap-${MASTER_JOIN_USAGE}`]: b64('true'),
    description: b64('kactus master join token'),
  };
  if (ttlSeconds > 0) data.expiration = b64(new Date(now.getTime() + ttlSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  return {
    secret: { apiVersion: 'v1', kind: 'Secret', metadata: { name: `bootstrap-token-${t.id}`, namespace: 'kube-system' }, type: BOOTSTRAP_TOKEN_TYPE, data },
    credentials: formatToken(t),
  };
}

/** The line to run on another machine to join it as a master. */
export function masterJoinCommandFor(serverUrl: string, token: string): string {
  return `kactus master --data-dir DIR --server ${serverUrl} --token ${token} --advertise-address IP`;
}
