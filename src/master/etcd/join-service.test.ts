import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { ApiError } from '../../api/status.ts';
import { loadOrCreatePki } from '../../apiserver/pki.ts';
import { createKeyAndRequest } from '../../net/certificate-requests.ts';
import { testCluster, type TestCluster } from '../../registry/test-support.ts';
import { bootstrapTokenSecret } from '../join-authority.ts';
import { masterJoinHandler, type MasterJoinServiceOptions } from './join-service.ts';
import { masterJoinTokenSecret } from './master-token.ts';
import type { Member } from './membership.ts';
import { PEER_COMMON_NAME } from './peer-certificates.ts';

const SECRETS = findKind('v1', 'Secret') as ResourceInfo;
const OWN = 'https://10.0.0.1:2380';

/** A cluster membership in memory, recording what the handler asked of it. */
class FakeMembership {
  members: Member[] = [{ id: '1', name: 'a', peerURLs: [OWN], clientURLs: ['http://127.0.0.1:2379'] }];
  calls: string[] = [];
  refuseAdd?: Error;
  private next = 100;
  async list(): Promise<Member[]> {
    return this.members.map((m) => ({ ...m }));
  }
  async add(peerURL: string): Promise<{ member: Member; members: Member[] }> {
    this.calls.push(`add ${peerURL}`);
    if (this.refuseAdd) throw this.refuseAdd;
    const member = { id: String(this.next++), name: '', peerURLs: [peerURL], clientURLs: [] };
    this.members.push(member);
    return { member, members: await this.list() };
  }
  async remove(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    this.members = this.members.filter((m) => m.id !== id);
  }
}

let cluster: TestCluster;
let membership: FakeMembership;
let join_: ReturnType<typeof masterJoinHandler>;
let masterToken: string;
let caCertPem: string;

beforeEach(async () => {
  cluster = await testCluster();
  membership = new FakeMembership();
  const pki = await loadOrCreatePki(cluster.dir);
  caCertPem = pki.caCertPem;
  const encryptionConfigPath = join(cluster.dir, 'encryption-config.yaml');
  await writeFile(encryptionConfigPath, 'the cluster keys\n');
  const opts: MasterJoinServiceOptions = { membership, dataDir: cluster.dir, encryptionConfigPath, clusterToken: 'kactus-abc', ownPeerURL: OWN };
  join_ = masterJoinHandler(opts);
  const { secret, credentials } = masterJoinTokenSecret(new Date(), 0);
  await cluster.registry.create(SECRETS, 'kube-system', secret);
  masterToken = credentials;
});
afterEach(async () => {
  await cluster.close();
});

async function request(name = 'b', address = '10.0.0.2') {
  const { csrPem } = await createKeyAndRequest('whatever-the-joiner-says');
  return { name, address, peerPort: 2380, csr: csrPem };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('a master joining the etcd cluster (POST /kactus/v1/etcd/members)', () => {
  it('adds the member and answers what it needs: initial cluster, token, CA, its peer certificate, the encryption config', async () => {
    const answer = (await join_(await request(), masterToken, cluster.registry)) as Record<string, string>;
    expect(membership.calls).toEqual(['add https://10.0.0.2:2380']);
    expect(answer.initialCluster).toBe(`a=${OWN},b=https://10.0.0.2:2380`);
    expect(answer.clusterToken).toBe('kactus-abc');
    expect(answer.caCertPem).toBe(caCertPem);
    expect(answer.encryptionConfig).toBe('the cluster keys\n');
    const cert = new X509Certificate(answer.peerCertPem!);
    expect(cert.verify(new X509Certificate(caCertPem).publicKey)).toBe(true);
    expect(cert.subject).toBe(`CN=${PEER_COMMON_NAME}`);
    expect(cert.checkIP('10.0.0.2')).toBe('10.0.0.2');
  });

  it('refuses without a token, with a wrong one, and with a node join token (401), adding nothing', async () => {
    expect((await refusal(join_(await request(), undefined, cluster.registry))).code).toBe(401);
    const wrong = masterToken.replace(/\.[a-z0-9]{16}$/, '.0000000000000000');
    const e = await refusal(join_(await request(), wrong, cluster.registry));
    expect([e.code, e.message]).toEqual([401, 'master join refused: invalid token']);
    const node = bootstrapTokenSecret(new Date());
    await cluster.registry.create(SECRETS, 'kube-system', node.secret);
    const n = await refusal(join_(await request(), node.token, cluster.registry));
    expect([n.code, n.message]).toEqual([401, 'master join refused: token is not usable for kactus-master-join']);
    expect(membership.calls).toEqual([]);
  });

  it('refuses an expired master token', async () => {
    const { secret, credentials } = masterJoinTokenSecret(new Date(Date.now() - 2 * 3600_000), 3600);
    await cluster.registry.create(SECRETS, 'kube-system', secret);
    expect((await refusal(join_(await request(), credentials, cluster.registry))).message).toBe('master join refused: token has expired');
  });

  it('names the bad field (400)', async () => {
    for (const [patch, field] of [[{ name: 'Not_A_Name' }, 'name'], [{ address: 'host.example' }, 'address'], [{ peerPort: 70000 }, 'peerPort'], [{ csr: '' }, 'csr'], [{ csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----' }, 'csr']] as const) {
      const e = await refusal(join_({ ...(await request()), ...patch }, masterToken, cluster.registry));
      expect(e.code).toBe(400);
      expect(e.message.startsWith(`${field}:`)).toBe(true);
    }
    expect(membership.calls).toEqual([]);
  });

  it('refuses a name another member holds elsewhere, and this master\'s own peer URL (409)', async () => {
    membership.members.push({ id: '2', name: 'b', peerURLs: ['https://10.0.0.9:2380'], clientURLs: [] });
    expect((await refusal(join_(await request('b'), masterToken, cluster.registry))).code).toBe(409);
    expect((await refusal(join_(await request('z', '10.0.0.1'), masterToken, cluster.registry))).code).toBe(409);
    expect(membership.calls).toEqual([]);
  });

  it('replaces the stale member at the joiner\'s own address (its data is gone), then adds it', async () => {
    membership.members.push({ id: '7', name: 'b', peerURLs: ['https://10.0.0.2:2380'], clientURLs: [] });
    await join_(await request('b'), masterToken, cluster.registry);
    expect(membership.calls).toEqual(['remove 7', 'add https://10.0.0.2:2380']);
  });

  it('passes etcd\'s "try again" refusals on as 503 with a retry hint', async () => {
    membership.refuseAdd = new Error('etcdserver: unhealthy cluster');
    const e = await refusal(join_(await request(), masterToken, cluster.registry));
    expect(e.code).toBe(503);
    expect(e.message).toContain('unhealthy cluster');
    expect(e.status.details?.retryAfterSeconds).toBe(1);
  });
});
