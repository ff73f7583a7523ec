import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../../api/kinds.ts';
import { testCluster, type TestCluster } from '../../registry/test-support.ts';
import { checkBootstrapToken } from '../join-authority.ts';
import { ensureClusterInitToken, MASTER_TOKEN_FILE } from './init-token.ts';
import { caCertHash, MASTER_JOIN_USAGE, parseMasterJoinToken } from './master-token.ts';

const SECRETS = findKind('v1', 'Secret') as ResourceInfo;
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
let cluster: TestCluster;

beforeEach(async () => {
  cluster = await testCluster();
});
afterEach(async () => {
  await cluster.close();
});

describe('the token --cluster-init makes', () => {
  it('is made once (Secret + DATA_DIR/master-join-token, 0600), admits masters, and is not made again once revoked', async () => {
    const token = (await ensureClusterInitToken(cluster.registry, cluster.dir, CA))!;
    const parsed = parseMasterJoinToken(token)!;
    expect(parsed.caHash).toBe(caCertHash(CA));
    const file = join(cluster.dir, MASTER_TOKEN_FILE);
    expect(await readFile(file, 'utf8')).toBe(`${token}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await checkBootstrapToken(cluster.registry, parsed.credentials, MASTER_JOIN_USAGE, new Date('2100-01-01'));
    expect(await ensureClusterInitToken(cluster.registry, cluster.dir, CA)).toBe(token);

    await cluster.registry.delete(SECRETS, 'kube-system', `bootstrap-token-${parsed.credentials.slice(0, 6)}`);
    expect(await ensureClusterInitToken(cluster.registry, cluster.dir, CA)).toBeUndefined();
  });
});
