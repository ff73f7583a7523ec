/**
 * Failover on a real 3-member etcd: with one member killed (each in turn, so whichever member
 * the client and the watch were talking to dies at some point) writes keep succeeding through
 * the other endpoints, and a watch opened before the first kill sees every write exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdTestsEnabled, startEtcdCluster, type EtcdCluster } from '../../../test/support/etcd.ts';
import { KeyExistsError, StoreUnavailableError } from '../errors.ts';
import type { Store, WatchEvent } from '../types.ts';
import { openEtcdStore } from './index.ts';

/**
 * Create a key, retrying while the cluster elects a leader. A retried create whose first attempt
 * committed before its answer was lost reports KeyExistsError: our own value means it landed.
 */
async function createDuringFailover(store: Store, key: string, value: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      await store.create(key, value);
      return;
    } catch (err) {
      if (err instanceof KeyExistsError && (await store.get(key))?.value === value) return;
      if (!(err instanceof StoreUnavailableError) || Date.now() > deadline) throw err;
    }
  }
}

describe.runIf(etcdTestsEnabled())('etcd store failover (3 members)', () => {
  let cluster: EtcdCluster;
  let store: Store;

  beforeAll(async () => {
    cluster = await startEtcdCluster({ members: 3 });
    store = await openEtcdStore(cluster.endpoints, { requestTimeoutMs: 3000 });
  });
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it('keeps writing and watching while members are killed one at a time', async () => {
    const seen: WatchEvent[] = [];
    let watchError: Error | undefined;
    const expected = 30;
    let resolve: () => void = () => undefined;
    const allSeen = new Promise<void>((r) => (resolve = r));
    const from = await store.currentRevision();
    const watch = store.watch('/failover/', { fromRevision: from }, {
      onEvents(events) {
        seen.push(...events);
        if (seen.length >= expected) resolve();
      },
      onError(err) {
        watchError = err;
        resolve();
      },
    });
    const written: string[] = [];
    for (let member = 0; member < 3; member++) {
      await cluster.killMember(member);
      const deadline = Date.now() + 15_000;
      for (let i = 0; i < 10; i++) {
        const key = `/failover/${member}-${i}`;
        await createDuringFailover(store, key, `v${member}-${i}`, deadline);
        written.push(key);
      }
      await cluster.restartMember(member);
    }
    expect(await store.count('/failover/')).toBe(expected);

    await allSeen;
    watch.close();
    expect(watchError).toBeUndefined();
    expect(seen.map((e) => e.kv.key)).toEqual(written);
    const revisions = seen.map((e) => e.kv.modRevision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
  });
});
