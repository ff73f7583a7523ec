/**
 * A master joining the etcd cluster, over the API server's HTTPS port (as k3s's servers join):
 *
 * 1. `GET /cacerts` (no authentication; the CA certificate is public): the joiner hashes the PEM
 *    and compares it with the hash its token carries (`K10<hash>::…`, master-token.ts). A
 *    mismatch ends the join before any credential is sent.
 * 2. `POST /kactus/v1/etcd/members` over TLS verified with that CA, `Authorization: Bearer
 *    <id>.<secret>` (a bootstrap token with the `kactus-master-join` usage), body MasterJoinRequest.
 *    The master checks the token, signs the joiner's peer certificate request, adds the member
 *    to etcd (MemberAdd) and answers MasterJoinAnswer (201): what the new member needs to start
 *    with `--initial-cluster-state existing`, and the cluster's encryption configuration so the
 *    new master reads the Secrets the others sealed.
 *
 * Refusals are Kubernetes Status errors: 401 (token), 400 (a field, named), 409 (the name is
 * another member's), 503 (etcd refused the add for now — "unhealthy cluster" — try again).
 */
import { isIP } from 'node:net';
import { ApiError } from '../../api/status.ts';

export const CACERTS_PATH = '/cacerts';
export const MASTER_JOIN_PATH = '/kactus/v1/etcd/members';

export interface MasterJoinRequest {
  /** The joiner's `--name`: its etcd member name and leader-election identity. */
  name: string;
  /** Its `--advertise-address` (an IP): where its peer port listens. */
  address: string;
  peerPort: number;
  /** PKCS#10 (PEM) for the key its member will present to peers. */
  csr: string;
}

export interface MasterJoinAnswer {
  /** etcd's id of the new member (decimal). */
  memberId: string;
  /** `--initial-cluster` for the new member: every member, itself included. */
  initialCluster: string;
  /** The cluster's `--initial-cluster-token`. */
  clusterToken: string;
  /** The cluster CA (PEM): what peers' certificates are checked against. */
  caCertPem: string;
  /** The joiner's peer certificate (PEM), for the key of its request. */
  peerCertPem: string;
  /** The EncryptionConfiguration (YAML) every master seals Secrets with. */
  encryptionConfig: string;
}

/** etcd member names: what `--name` allows here (DNS-1123 label-ish, as Kubernetes node names). */
const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
const MAX_CSR_CHARS = 16 * 1024;

/** The request, checked field by field (400 naming the field). */
export function parseMasterJoinRequest(body: unknown): MasterJoinRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('a master join request is a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.name !== 'string' || !NAME_RE.test(b.name)) throw ApiError.badRequest(`name: Invalid value: ${JSON.stringify(b.name)}: a lowercase RFC 1123 name (letters, digits, '-', '.'), at most 63 characters`);
  if (typeof b.address !== 'string' || isIP(b.address) === 0) throw ApiError.badRequest(`address: Invalid value: ${JSON.stringify(b.address)}: an IP address`);
  if (typeof b.peerPort !== 'number' || !Number.isInteger(b.peerPort) || b.peerPort < 1 || b.peerPort > 65535) throw ApiError.badRequest(`peerPort: Invalid value: ${JSON.stringify(b.peerPort)}: a port number (1-65535)`);
  if (typeof b.csr !== 'string' || b.csr.length === 0 || b.csr.length > MAX_CSR_CHARS) throw ApiError.badRequest('csr: Required value: a PEM certificate request of at most 16 KiB');
  return { name: b.name, address: b.address, peerPort: b.peerPort, csr: b.csr };
}

/** The answer as the joiner reads it; throws when a field is missing. */
export function parseMasterJoinAnswer(body: unknown): MasterJoinAnswer {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const fields = ['memberId', 'initialCluster', 'clusterToken', 'caCertPem', 'peerCertPem', 'encryptionConfig'] as const;
  for (const f of fields) if (typeof b[f] !== 'string' || b[f] === '') throw new Error(`malformed master join answer: ${f} missing`);
  return Object.fromEntries(fields.map((f) => [f, b[f]])) as unknown as MasterJoinAnswer;
}
