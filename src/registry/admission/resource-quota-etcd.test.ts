/**
 * Quota under concurrency on a real etcd, as several masters share it: twenty pods created at
 * once through two Registries (two masters, each with its own lock and informers) against
 * `pods: 10`, with the leader's quota controller recounting meanwhile, admit exactly ten, and the
 * quota's status says ten. Failed transactions are counted to show the masters did race.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, etcdTestsEnabled, type EtcdCluster } from '../../../test/support/etcd.ts';
import { findResource } from '../../api/kinds.ts';
import { ApiError } from '../../api/status.ts';
import { openStore } from '../../store/open.ts';
import type { Store } from '../../store/types.ts';
import { ResourceQuotaController } from '../../actors/resourcequota/controller.ts';
import { waitFor } from '../test-support.ts';
import { Registry } from '../registry.ts';

const PODS = findResource('', 'v1', 'pods')!;
const QUOTAS = findResource('', 'v1', 'resourcequotas')!;
const NAMESPACES = findResource('', 'v1', 'namespaces')!;

const enabled = etcdTestsEnabled();
let etcd: EtcdCluster;

beforeAll(async () => {
  if (enabled) etcd = await startEtcdCluster({ members: 1 });
}, 30_000);
afterAll(async () => {
  await etcd?.stop();
});

describe.runIf(enabled)('ResourceQuota admission on etcd', () => {
  it('twenty pods at once through two masters against pods: 10 admit exactly ten', async () => {
    const inner: Store = await openStore(etcd.uri);
    let failedTxns = 0;
    const store: Store = Object.assign(Object.create(inner) as Store, {
      txn: async (...args: Parameters<Store['txn']>) => {
        const res = await inner.txn(...args);
        if (!res.succeeded) failedTxns++;
        return res;
      },
    });
    const masters = [new Registry({ store, admission: {} }), new Registry({ store, admission: {} })];
    const controller = new ResourceQuotaController({ store, registry: masters[0]!, logger: pino({ level: 'silent' }), resyncIntervalMs: 50 });
    try {
      for (const r of masters) await r.start(['default']);
      await masters[0]!.create(NAMESPACES, undefined, { metadata: { name: 'race' } });
      await controller.start();
      // First nothing is allowed, so the second master's refusal shows its informer knows the quota; then ten.
      await masters[0]!.create(QUOTAS, 'race', { metadata: { name: 'pods' }, spec: { hard: { pods: '0', 'count/pods': '15' } } });
      const statusOf = async () => (await masters[1]!.get(QUOTAS, 'race', 'pods')).status as { hard?: Record<string, string>; used?: Record<string, string> } | undefined;
      await waitFor('the quota controller to count', async () => (await statusOf())?.used);
      const probe = { metadata: { name: 'probe' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
      await waitFor('the second master to see the quota', () => masters[1]!.create(PODS, 'race', probe, { dryRun: true }).then(() => false, (err: unknown) => err instanceof ApiError && err.code === 403));
      await masters[0]!.patch(QUOTAS, 'race', 'pods', 'application/merge-patch+json', { spec: { hard: { pods: '10' } } });
      await waitFor('the quota controller to take the new hard', async () => (await statusOf())?.hard?.pods === '10');
      failedTxns = 0;
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => masters[i % 2]!.create(PODS, 'race', { metadata: { name: `p${i}` }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })),
      );
      const admitted = results.filter((r) => r.status === 'fulfilled').length;
      const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as ApiError] : []));
      expect(admitted).toBe(10);
      for (const err of reasons) {
        expect(err.code).toBe(403);
        expect(err.message).toMatch(/^pods "p\d+" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=10, limited: pods=10$/);
      }
      expect((await masters[0]!.list(PODS, 'race')).items).toHaveLength(10);
      expect(((await masters[0]!.get(QUOTAS, 'race', 'pods')).status as { used: unknown }).used).toEqual({ 'count/pods': '10', pods: '10' });
      // The two masters did collide on the quota (a re-plan each time), yet none over-admitted.
      expect(failedTxns).toBeGreaterThan(0);
    } finally {
      controller.stop();
      for (const r of masters) r.close();
      await inner.close();
    }
  }, 60_000);
});
