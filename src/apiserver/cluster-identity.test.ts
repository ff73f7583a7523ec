import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCluster, type TestCluster } from '../registry/test-support.ts';
import { findResource } from '../api/kinds.ts';
import { IDENTITY_SECRET, shareClusterIdentity } from './cluster-identity.ts';
import { loadOrCreatePki } from './pki.ts';

const SECRETS = findResource('', 'v1', 'secrets')!;
let cluster: TestCluster;

beforeEach(async () => {
  cluster = await testCluster();
});
afterEach(async () => {
  await cluster.close();
});

const pkiOf = (name: string) =>
  loadOrCreatePki(join(cluster.dir, name), { share: (local) => shareClusterIdentity(cluster.registry, local) });

describe('cluster identity shared through the store', () => {
  it('the first master publishes its CA and token; the next adopts them and gets a serving cert from that CA', async () => {
    const a = await pkiOf('a');
    const secret = await cluster.registry.get(SECRETS, IDENTITY_SECRET.namespace, IDENTITY_SECRET.name);
    expect(Buffer.from(String((secret.data as Record<string, string>)['ca.crt']), 'base64').toString()).toBe(a.caCertPem);

    const b = await pkiOf('b');
    expect(b.caCertPem).toBe(a.caCertPem);
    expect(b.adminToken).toBe(a.adminToken);
    expect(b.serverCertPem).not.toBe(a.serverCertPem);
    expect(new X509Certificate(b.serverCertPem).verify(new X509Certificate(a.caCertPem).publicKey)).toBe(true);
  });

  it('a master whose data dir already had its own CA switches to the cluster one, files included', async () => {
    const lone = await loadOrCreatePki(join(cluster.dir, 'b'));
    const a = await pkiOf('a');
    const b = await pkiOf('b');
    expect(b.caCertPem).toBe(a.caCertPem);
    expect(b.caCertPem).not.toBe(lone.caCertPem);
    // A restart without the store at hand (files only) keeps the cluster identity.
    const again = await loadOrCreatePki(join(cluster.dir, 'b'));
    expect(again.caCertPem).toBe(a.caCertPem);
    expect(again.adminToken).toBe(a.adminToken);
    expect(again.serverCertPem).toBe(b.serverCertPem);
  });

  it('two masters starting at once agree on one identity', async () => {
    const [a, b] = await Promise.all([pkiOf('a'), pkiOf('b')]);
    expect(a.caCertPem).toBe(b.caCertPem);
    expect(a.adminToken).toBe(b.adminToken);
  });
});
