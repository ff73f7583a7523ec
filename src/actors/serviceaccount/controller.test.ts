import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findResource } from '../../api/kinds.ts';
import { ApiError } from '../../api/status.ts';
import { testCluster, waitFor, type TestCluster } from '../../registry/test-support.ts';
import { ServiceAccountsController } from './controller.ts';
import { ROOT_CA_CONFIGMAP, ROOT_CA_DESCRIPTION, RootCaPublisher } from './root-ca-publisher.ts';

const NAMESPACES = findResource('', 'v1', 'namespaces')!;
const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
const CONFIG_MAPS = findResource('', 'v1', 'configmaps')!;
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });

describe('serviceaccounts controller and root CA publisher', () => {
  let cluster: TestCluster;
  let stops: (() => void)[];

  beforeEach(async () => {
    cluster = await testCluster();
    stops = [];
    // A namespace that exists before the leader starts.
    await cluster.registry.create(NAMESPACES, undefined, { metadata: { name: 'early' } });
    const accounts = new ServiceAccountsController({ store: cluster.store, registry: cluster.registry, logger });
    const publisher = new RootCaPublisher({ store: cluster.store, registry: cluster.registry, caCertPem: 'THE CA', logger });
    await accounts.start();
    await publisher.start();
    stops.push(() => accounts.stop(), () => publisher.stop());
  });
  afterEach(async () => {
    for (const s of stops) s();
    await cluster.close();
  });

  const exists = (p: Promise<unknown>) => p.then(() => true, (err: unknown) => (err instanceof ApiError && err.code === 404 ? false : Promise.reject(err)));
  const account = (ns: string) => exists(cluster.registry.get(SERVICE_ACCOUNTS, ns, 'default'));
  const rootCa = async (ns: string) => {
    try {
      return await cluster.registry.get(CONFIG_MAPS, ns, ROOT_CA_CONFIGMAP);
    } catch {
      return undefined;
    }
  };

  it('gives every namespace, old and new, a default account and the CA bundle', async () => {
    for (const ns of ['default', 'kube-system', 'early']) await waitFor(`default account in ${ns}`, () => account(ns));
    await cluster.registry.create(NAMESPACES, undefined, { metadata: { name: 'late' } });
    await waitFor('default account in late', () => account('late'));
    const cm = await waitFor('kube-root-ca.crt in late', () => rootCa('late'));
    expect(cm.data).toEqual({ 'ca.crt': 'THE CA' });
    expect(cm.metadata?.annotations?.['kubernetes.io/description']).toBe(ROOT_CA_DESCRIPTION);
  });

  it('puts back a deleted account and a deleted or edited CA bundle', async () => {
    await waitFor('default account', () => account('early'));
    await cluster.registry.delete(SERVICE_ACCOUNTS, 'early', 'default');
    await waitFor('default account again', () => account('early'));
    const first = await waitFor('CA bundle', () => rootCa('early'));
    await cluster.registry.update(CONFIG_MAPS, 'early', ROOT_CA_CONFIGMAP, { ...first, data: { 'ca.crt': 'tampered' } });
    await waitFor('CA bundle restored', async () => ((await rootCa('early'))?.data as Record<string, string> | undefined)?.['ca.crt'] === 'THE CA');
    await cluster.registry.delete(CONFIG_MAPS, 'early', ROOT_CA_CONFIGMAP);
    await waitFor('CA bundle recreated', () => rootCa('early'));
  });

  it('makes nothing in a namespace being deleted', async () => {
    await waitFor('default account', () => account('early'));
    await cluster.registry.delete(NAMESPACES, undefined, 'early');
    await waitFor('namespace gone', async () => !(await exists(cluster.registry.get(NAMESPACES, undefined, 'early'))));
    expect(await account('early')).toBe(false);
  });
});
