import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEtcdCluster, etcdTestsEnabled, type EtcdCluster } from '../../test/support/etcd.ts';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { openStore } from '../store/open.ts';
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

  function candidate(identity: string, log: string[]): LeaderElector {
    const e = new LeaderElector({
      registry: c!.registry,
      namespace: 'kube-system',
      name: 'kactus-controller-manager',
      identity,
      leaseDurationSeconds: 1,
      retryPeriodMs: 50,
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
