import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdTestsEnabled, startEtcdCluster, type EtcdCluster } from '../../test/support/etcd.ts';
import { storeConformance } from './conformance.ts';
import { openMemoryStore } from './embedded/index.ts';
import { ConflictError, FencedError, KeyExistsError, NotFoundError } from './errors.ts';
import { openEtcdStore } from './etcd/index.ts';
import { fencedStore, underlyingStore, type Fence, type FencedStore } from './fenced.ts';
import type { Store } from './types.ts';

/** A stand-in for the elector: holds `key` at the revision it last wrote, renews on demand. */
class Holder {
  revision: number | undefined;
  readonly fencedOffSeen: FencedError[] = [];
  /** settled() waits for this (a renewal in flight), when set. */
  inFlight: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    readonly key: string,
  ) {}

  async acquire(): Promise<void> {
    const current = await this.store.get(this.key);
    const kv = current ? await this.store.update(this.key, 'me', current.modRevision) : await this.store.create(this.key, 'me');
    this.revision = kv.modRevision;
  }

  async renew(): Promise<void> {
    this.revision = (await this.store.update(this.key, 'me', this.revision!)).modRevision;
  }

  fence(): Fence {
    return {
      key: this.key,
      revision: () => this.revision,
      settled: async () => {
        await this.inFlight;
        return this.revision;
      },
      fencedOff: (err) => this.fencedOffSeen.push(err),
    };
  }
}

/** Another process taking the lease key over (its write moves the revision). */
async function takeOver(store: Store, key: string): Promise<number> {
  const current = await store.get(key);
  return (await store.update(key, 'other', current!.modRevision)).modRevision;
}

function behaviour(name: string, open: () => Promise<Store>): void {
  describe(`fenced writes over ${name}`, () => {
    let store: Store;
    let holder: Holder;
    let fenced: FencedStore;
    let n = 0;
    const p = (): string => `/fenced-test/${name}/${++n}/`;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    async function setUp(prefix: string): Promise<void> {
      holder = new Holder(store, `${prefix}lease`);
      await holder.acquire();
      fenced = fencedStore(store, holder.fence());
    }

    it('writes while the lease is held, and answers CAS failures as the plain store does', async () => {
      const prefix = p();
      await setUp(prefix);
      const a = await fenced.create(`${prefix}a`, '1');
      await expect(fenced.create(`${prefix}a`, '2')).rejects.toBeInstanceOf(KeyExistsError);
      const a2 = await fenced.update(`${prefix}a`, '2', a.modRevision);
      expect(a2).toMatchObject({ value: '2', version: 2, createRevision: a.createRevision });
      const stale = await fenced.update(`${prefix}a`, '3', a.modRevision).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(ConflictError);
      expect((stale as ConflictError).current?.modRevision).toBe(a2.modRevision);
      await expect(fenced.update(`${prefix}none`, 'x', a.modRevision)).rejects.toBeInstanceOf(NotFoundError);
      await expect(fenced.delete(`${prefix}none`)).rejects.toBeInstanceOf(NotFoundError);
      await expect(fenced.delete(`${prefix}a`, a.modRevision)).rejects.toBeInstanceOf(ConflictError);
      const gone = await fenced.delete(`${prefix}a`, a2.modRevision);
      expect(gone.value).toBe('2');
      const t = await fenced.txn([{ key: `${prefix}b`, modRevision: 0 }], [{ type: 'put', key: `${prefix}b`, value: 'b' }]);
      expect(t.succeeded).toBe(true);
      expect((await fenced.txn([{ key: `${prefix}b`, modRevision: 0 }], [{ type: 'put', key: `${prefix}b`, value: 'c' }])).succeeded).toBe(false);
      expect(fenced.stats.fencedOff).toBe(0);
      expect(underlyingStore(fenced)).toBe(store);
    });

    it('refuses every write once another holder wrote the lease key, atomically, and says so once per write', async () => {
      const prefix = p();
      await setUp(prefix);
      const kept = await fenced.create(`${prefix}kept`, 'v1');
      const theirs = await takeOver(store, holder.key);
      const before = await store.currentRevision();
      const attempts = [
        fenced.create(`${prefix}new`, 'x'),
        fenced.update(`${prefix}kept`, 'v2', kept.modRevision),
        fenced.delete(`${prefix}kept`),
        fenced.txn([], [{ type: 'put', key: `${prefix}t1`, value: 'x' }, { type: 'delete', key: `${prefix}kept` }]),
      ];
      for (const outcome of await Promise.allSettled(attempts)) {
        expect(outcome.status).toBe('rejected');
        const err = (outcome as PromiseRejectedResult).reason as unknown;
        expect(err).toBeInstanceOf(FencedError);
        expect(err).toMatchObject({ heldRevision: holder.revision, foundRevision: theirs });
      }
      // Nothing landed: no new revision, the key as it was.
      expect(await store.currentRevision()).toBe(before);
      expect((await store.get(`${prefix}kept`))?.value).toBe('v1');
      expect(await store.get(`${prefix}new`)).toBeUndefined();
      expect(holder.fencedOffSeen.map((err) => err.foundRevision)).toEqual([theirs, theirs, theirs, theirs]);
      expect(fenced.stats).toMatchObject({ committed: 1, fencedOff: 4 });
    });

    it('refuses without asking the store when the writer does not lead', async () => {
      const prefix = p();
      await setUp(prefix);
      holder.revision = undefined;
      const err = await fenced.create(`${prefix}x`, '1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FencedError);
      expect((err as Error).message).toMatch(/does not hold/);
      expect(await store.get(`${prefix}x`)).toBeUndefined();
    });

    it('tries again on the revision of its own renewal that raced the write', async () => {
      const prefix = p();
      await setUp(prefix);
      const prepared = holder.revision;
      // The renewal commits, but the elector has not yet taken its answer in when the write goes.
      let finish!: () => void;
      holder.inFlight = new Promise((r) => (finish = r));
      const renewed = (await store.update(holder.key, 'me', prepared!)).modRevision;
      const write = fenced.create(`${prefix}raced`, 'ok');
      setTimeout(() => {
        holder.revision = renewed;
        finish();
      }, 20);
      expect((await write).value).toBe('ok');
      expect(fenced.stats).toMatchObject({ committed: 1, retriedAfterRenewal: 1, fencedOff: 0 });
      expect(holder.fencedOffSeen).toEqual([]);
    });

    it('a renewal followed by a takeover: the retry is refused too', async () => {
      const prefix = p();
      await setUp(prefix);
      const prepared = holder.revision!;
      await holder.renew();
      const renewed = holder.revision;
      await takeOver(store, holder.key);
      holder.revision = prepared;
      holder.inFlight = new Promise((r) =>
        setTimeout(() => {
          holder.revision = renewed;
          r();
        }, 20),
      );
      await expect(fenced.create(`${prefix}late`, 'x')).rejects.toBeInstanceOf(FencedError);
      expect(fenced.stats).toMatchObject({ retriedAfterRenewal: 1, fencedOff: 1, committed: 0 });
      expect(await store.get(`${prefix}late`)).toBeUndefined();
    });
  });
}

behaviour('the memory store', () => openMemoryStore());

describe.runIf(etcdTestsEnabled())('over a real etcd', () => {
  let cluster: EtcdCluster | undefined;
  beforeAll(async () => {
    cluster = await startEtcdCluster({ members: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  behaviour('etcd', () => openEtcdStore(cluster!.endpoints));
});

// The view with the fence held keeps the whole Store contract (closing it closes the store here,
// as the suite's close tests expect of a backend).
storeConformance('fenced view (fence held)', async () => {
  const store = await openMemoryStore();
  const lease = await store.create('/~fence/lease', 'me');
  const view = fencedStore(store, { key: lease.key, revision: () => lease.modRevision, settled: async () => lease.modRevision, fencedOff: () => undefined });
  view.close = () => store.close();
  return { store: view, cleanup: () => store.close() };
});
