import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEtcdCluster, etcdTestsEnabled, type EtcdCluster } from '../../test/support/etcd.ts';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { openStore } from '../store/open.ts';
import { FencedError } from '../store/errors.ts';
import { fencedStore } from '../store/fenced.ts';
import type { Store } from '../store/types.ts';
import { LeaderElector } from './leader-election.ts';
import { startMaster, type Master } from './master.ts';
import { testCluster, waitFor, type TestCluster } from '../registry/test-support.ts';

const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;

describe('LeaderElector over one store', () => {
  let c: TestCluster | undefined;
  const electors: LeaderElector[] = [];
  afterEach(async () => {
    for (const e of electors.splice(0)) await e.stop();
    await c?.close();
  });

  function candidate(identity: string, log: string[], retryPeriodMs = 50): LeaderElector {
    const e = new LeaderElector({
      registry: c!.registry,
      namespace: 'kube-system',
      name: 'kactus-controller-manager',
      identity,
      leaseDurationSeconds: 1,
      retryPeriodMs,
      onStartedLeading: () => log.push(`${identity} started`),
      onStoppedLeading: () => log.push(`${identity} stopped`),
    });
    electors.push(e);
    return e;
  }

  it('exactly one of two candidates leads; the other takes over when it releases', async () => {
    c = await testCluster();
    const log: string[] = [];
    const a = candidate('a', log);
    const b = candidate('b', log);
    a.start();
    await waitFor('a leads', () => a.isLeader());
    b.start();
    // b keeps trying for longer than the lease lasts; a renews, so b never leads.
    const until = Date.now() + 1500;
    await waitFor('lease period passed', () => Date.now() > until || undefined);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    const lease = await c.registry.get(LEASES, 'kube-system', 'kactus-controller-manager');
    expect(lease.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 1, leaseTransitions: 0 });

    await a.stop();
    await waitFor('b leads', () => b.isLeader());
    expect(a.isLeader()).toBe(false);
    const after = await c.registry.get(LEASES, 'kube-system', 'kactus-controller-manager');
    expect(after.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(log).toEqual(['a started', 'a stopped', 'b started']);
  });

  it('a released Lease is taken at once by a candidate watching it, not at its next try', async () => {
    c = await testCluster();
    const log: string[] = [];
    const a = candidate('a', log);
    a.start();
    await waitFor('a leads', () => a.isLeader());
    const b = candidate('b', log, 60_000);
    b.start();
    await waitFor('b has tried once', async () => (await c!.store.get(a.fence().key)) && !b.isLeader());
    const t0 = Date.now();
    await a.stop();
    await waitFor('b leads', () => b.isLeader(), 5_000);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('a leader whose write is fenced off re-reads the Lease and steps down at once', async () => {
    c = await testCluster();
    const log: string[] = [];
    const a = candidate('a', log, 60_000);
    a.start();
    await waitFor('a leads', () => a.isLeader());
    const fence = a.fence();
    const held = fence.revision();
    expect(held).toBe(Number((await c.registry.get(LEASES, 'kube-system', 'kactus-controller-manager')).metadata?.resourceVersion));
    const leaderStore = fencedStore(c.store, fence);
    // Another master takes the Lease over while a is (as far as it knows) still leading.
    const lease = await c.registry.get(LEASES, 'kube-system', 'kactus-controller-manager');
    await c.registry.update(LEASES, 'kube-system', 'kactus-controller-manager', { ...lease, spec: { ...(lease.spec as object), holderIdentity: 'x' } });
    expect(a.isLeader()).toBe(true);
    await expect(leaderStore.create('/probe/a', 'late')).rejects.toBeInstanceOf(FencedError);
    await waitFor('a steps down', () => !a.isLeader(), 5_000);
    expect(fence.revision()).toBeUndefined();
    expect(await c.store.get('/probe/a')).toBeUndefined();
    expect(log).toEqual(['a started', 'a stopped']);
  });

  it('a leader keeps its writes across its own renewals (none refused)', async () => {
    c = await testCluster();
    const a = candidate('a', [], 10);
    a.start();
    await waitFor('a leads', () => a.isLeader());
    const fence = a.fence();
    const leaderStore = fencedStore(c.store, fence);
    const seen = new Set<number | undefined>();
    let n = 0;
    const worker = async (): Promise<void> => {
      while (seen.size < 6) {
        seen.add(fence.revision());
        await leaderStore.create(`/probe/${n++}`, 'x');
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(leaderStore.stats).toMatchObject({ committed: n, fencedOff: 0 });
  });
});

describe.runIf(etcdTestsEnabled())('two masters over one real etcd', () => {
  let etcd: EtcdCluster | undefined;
  let dir: string | undefined;
  const stores: Store[] = [];
  const masters: Master[] = [];
  afterEach(async () => {
    for (const m of masters.splice(0)) await m.close();
    for (const s of stores.splice(0)) await s.close();
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('one holds kube-system/kactus-controller-manager; the other takes over when it closes', async () => {
    etcd = await startEtcdCluster({ members: 1 });
    dir = await mkdtemp(join(tmpdir(), 'kactus-ha-'));
    for (const name of ['m1', 'm2']) {
      const store = await openStore(etcd.uri);
      stores.push(store);
      masters.push(await startMaster({ store, dataDir: join(dir, name), port: 0, name, leaseDurationSeconds: 2, leaseRetryPeriodMs: 100 }));
    }
    const [m1, m2] = masters as [Master, Master];
    const leader = await waitFor('a leader', () => (m1.isLeader() ? m1 : m2.isLeader() ? m2 : undefined));
    const follower = leader === m1 ? m2 : m1;
    const holder = leader === m1 ? 'm1' : 'm2';
    const lease = await follower.api.registry.get(LEASES, 'kube-system', 'kactus-controller-manager');
    expect(lease.spec).toMatchObject({ holderIdentity: holder, leaseDurationSeconds: 2 });
    expect(follower.isLeader()).toBe(false);

    await leader.close();
    masters.splice(masters.indexOf(leader), 1);
    await waitFor('the other master leads', () => follower.isLeader());
    const taken = await follower.api.registry.get(LEASES, 'kube-system', 'kactus-controller-manager');
    expect((taken.spec as { holderIdentity: string }).holderIdentity).toBe(holder === 'm1' ? 'm2' : 'm1');
  });
});
