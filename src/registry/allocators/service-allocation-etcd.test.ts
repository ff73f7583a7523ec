/**
 * Allocation over a real etcd, as several masters share it: parallel creates through one
 * Registry and through two Registries (two masters, each with its own cache) never hand out
 * one ClusterIP or node port twice. Small ranges make the caches collide often.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, etcdTestsEnabled, type EtcdCluster } from '../../../test/support/etcd.ts';
import { openStore } from '../../store/open.ts';
import type { Store } from '../../store/types.ts';
import { nodePorts, NS, records, service, SERVICES, specOf, storeFixture, type AllocationFixture } from './test-support.ts';

const enabled = etcdTestsEnabled();
let etcd: EtcdCluster;

beforeAll(async () => {
  if (enabled) etcd = await startEtcdCluster({ members: 1 });
}, 30_000);
afterAll(async () => {
  await etcd?.stop();
});

/** Failed transactions: picks that lost a race and were re-planned (proves the test is not vacuous). */
let failedTxns = 0;

async function etcdFixture(): Promise<AllocationFixture> {
  const inner: Store = await openStore(etcd.uri);
  const store: Store = Object.assign(Object.create(inner) as Store, {
    txn: async (...args: Parameters<Store['txn']>) => {
      const res = await inner.txn(...args);
      if (!res.succeeded) failedTxns++;
      return res;
    },
  });
  return storeFixture(store, { clusterIPRange: '10.0.0.0/26', nodePortRange: '30000-30059' }, () => inner.close());
}

describe.runIf(enabled)('allocation on etcd', () => {
  it('50 parallel creates through one Registry get 50 distinct ClusterIPs and node ports', async () => {
    const f = await etcdFixture();
    try {
      const created = await Promise.all(Array.from({ length: 50 }, (_, i) => f.registry.create(SERVICES, NS, service(`one-${i}`, { type: 'NodePort' }))));
      expect(new Set(created.map((s) => specOf(s).clusterIP)).size).toBe(50);
      expect(new Set(created.map((s) => nodePorts(s)[0])).size).toBe(50);
      await Promise.all(created.map((s) => f.registry.delete(SERVICES, NS, s.metadata?.name ?? '')));
      const r = await records(f.store);
      expect(r.ips.size + r.ports.size).toBe(0);
    } finally {
      await f.close();
    }
  }, 60_000);

  it('two Registries (two masters) creating at once never share a ClusterIP or node port', async () => {
    const f = await etcdFixture();
    try {
      const second = await f.secondRegistry();
      failedTxns = 0;
      const created = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? second : f.registry).create(SERVICES, NS, service(`two-${i}`, { type: 'NodePort' }))),
      );
      const ips = created.map((s) => specOf(s).clusterIP as string);
      const ports = created.map((s) => nodePorts(s)[0]);
      expect(new Set(ips).size).toBe(50);
      expect(new Set(ports).size).toBe(50);
      // The two caches did not know each other's picks: some transactions lost and were re-planned.
      expect(failedTxns).toBeGreaterThan(0);
      const r = await records(f.store);
      for (const s of created) {
        expect(r.ips.get(specOf(s).clusterIP as string)?.uid).toBe(s.metadata?.uid);
        expect(r.ports.get(nodePorts(s)[0])?.uid).toBe(s.metadata?.uid);
      }
      // The same requested IP (one still free) asked of both masters at once: exactly one wins.
      const free = Array.from({ length: 62 }, (_, i) => `10.0.0.${i + 1}`).find((ip) => !r.ips.has(ip));
      const contested = await Promise.allSettled([
        f.registry.create(SERVICES, NS, service('contest-a', { clusterIP: free })),
        second.create(SERVICES, NS, service('contest-b', { clusterIP: free })),
      ]);
      expect(contested.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
      const loser = contested.find((c) => c.status === 'rejected') as PromiseRejectedResult;
      expect((loser.reason as Error).message).toContain('provided IP is already allocated');
    } finally {
      await f.close();
    }
  }, 60_000);
});
