/**
 * The shared Store conformance suite against a real 1-member etcd: one cluster for the file,
 * a fresh store (client) per test; the suite isolates tests by key prefix.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { etcdTestsEnabled, startEtcdCluster, type EtcdCluster } from '../../../test/support/etcd.ts';
import { storeConformance } from '../conformance.ts';
import { openEtcdStore } from './index.ts';

describe.runIf(etcdTestsEnabled())('etcd backend', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster({ members: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  storeConformance('etcd', async () => {
    const store = await openEtcdStore(cluster.endpoints);
    // close() is idempotent, so this also copes with tests that closed the store themselves.
    return { store, cleanup: () => store.close() };
  });
});
