/**
 * The existing master's half of a master join (join-protocol.ts): token, certificate, MemberAdd,
 * answer. Runs on every master that has a local etcd member, so a new master may join through
 * any of them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../api/status.ts';
import { CertificateRequestError } from '../../apiserver/client-certificates.ts';
import { JoinRefusedError } from '../../net/errors.ts';
import type { MasterJoinSource } from '../../apiserver/server.ts';
import { checkBootstrapToken } from '../join-authority.ts';
import { parseMasterJoinRequest, type MasterJoinAnswer } from './join-protocol.ts';
import { MASTER_JOIN_USAGE } from './master-token.ts';
import { initialClusterOf, type EtcdMembership } from './membership.ts';
import { peerUrlOf } from './member-process.ts';
import { signPeerCertificate } from './peer-certificates.ts';

export interface MasterJoinServiceOptions {
  /** The cluster's membership (EtcdMembership over the local member; a fake in tests). */
  membership: Pick<EtcdMembership, 'list' | 'add' | 'remove'>;
  /** This master's data dir: the cluster CA in `pki/ca.crt` and `pki/ca.key` (the API server keeps them there). */
  dataDir: string;
  /** The EncryptionConfiguration this master uses; its text is what joiners get. */
  encryptionConfigPath: string;
  /** The cluster's `--initial-cluster-token`. */
  clusterToken: string;
  /** This member's own peer URL (a joiner must not claim it). */
  ownPeerURL: string;
  now?: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** What the API server calls for `POST /kactus/v1/etcd/members` (ApiServerOptions.masterJoin). */
export type MasterJoinHandler = MasterJoinSource;

export function masterJoinHandler(opts: MasterJoinServiceOptions): MasterJoinHandler {
  const now = opts.now ?? (() => new Date());
  return async (body, bearerToken, registry): Promise<MasterJoinAnswer> => {
    if (bearerToken === undefined) throw ApiError.unauthorized('a master join needs a master join token (Authorization: Bearer <id>.<secret>)');
    try {
      await checkBootstrapToken(registry, bearerToken, MASTER_JOIN_USAGE, now());
    } catch (err) {
      if (err instanceof JoinRefusedError) throw ApiError.unauthorized(`master join refused: ${err.reason}`);
      throw err;
    }
    const request = parseMasterJoinRequest(body);
    const peerURL = peerUrlOf(request.address, request.peerPort);
    if (peerURL === opts.ownPeerURL) throw new ApiError(409, 'Conflict', `peer URL ${peerURL} is this master's own etcd member: give the new master its own --advertise-address or --etcd-peer-port`);
    const [caCertPem, caKeyPem, encryptionConfig] = await Promise.all([
      readFile(join(opts.dataDir, 'pki', 'ca.crt'), 'utf8'),
      readFile(join(opts.dataDir, 'pki', 'ca.key'), 'utf8'),
      readFile(opts.encryptionConfigPath, 'utf8'),
    ]);
    let peerCertPem: string;
    try {
      peerCertPem = await signPeerCertificate(caCertPem, caKeyPem, request.csr, request.address);
    } catch (err) {
      if (err instanceof CertificateRequestError) throw ApiError.badRequest(`csr: Invalid value: ${err.message}`);
      throw err;
    }
    const added = await etcdCall(async () => {
      const members = await opts.membership.list();
      const sameName = members.find((m) => m.name === request.name && !m.peerURLs.includes(peerURL));
      if (sameName) throw new ApiError(409, 'Conflict', `etcd member "${request.name}" already exists at ${sameName.peerURLs.join(',')}: give the new master another --name (or remove that member first)`);
      // A member already at this URL is this machine's earlier incarnation: the joiner has no data
      // (it only asks when its data dir holds no member), so that one can never come back. etcd
      // needs it removed before the address is added again.
      for (const stale of members.filter((m) => m.peerURLs.includes(peerURL))) {
        opts.log?.('removing the stale etcd member at a joining master\'s address', { member: stale.id, name: stale.name, peerURL });
        await opts.membership.remove(stale.id);
      }
      return opts.membership.add(peerURL);
    });
    opts.log?.('etcd member added', { member: added.member.id, name: request.name, peerURL });
    return {
      memberId: added.member.id,
      initialCluster: initialClusterOf(added.members, added.member.id, request.name),
      clusterToken: opts.clusterToken,
      caCertPem,
      peerCertPem,
      encryptionConfig,
    };
  };
}

/** etcd's refusals of a reconfiguration (unhealthy cluster, not enough started members) are a 503 to retry. */
async function etcdCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(503, 'ServiceUnavailable', `etcd refused the new member for now: ${(err as Error).message}`, { retryAfterSeconds: 1 });
  }
}
