/**
 * etcd-specific behaviour of the etcd backend against a real 1-member etcd (one per file);
 * each test works under its own key prefix.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdTestsEnabled, startEtcdCluster, type EtcdCluster } from '../../../test/support/etcd.ts';
import {
  CompactedError,
  ConflictError,
  KeyExistsError,
  LeaseNotFoundError,
  NotFoundError,
  StoreClosedError,
  StoreUnavailableError,
} from '../errors.ts';
import type { Store, WatchEvent, WatchHandler } from '../types.ts';
import { openEtcdStore } from './index.ts';
import { etcdRevisionOf, SLOTS } from './revisions.ts';

/** Collects what a watch delivers; `until` resolves as soon as a condition holds (no polling). */
class Recorder implements WatchHandler {
  events: WatchEvent[] = [];
  progress: number[] = [];
  error: Error | undefined;
  private waiters: (() => void)[] = [];

  onEvents(events: WatchEvent[]): void {
    this.events.push(...events);
    this.wake();
  }
  onError(err: Error): void {
    this.error = err;
    this.wake();
  }
  onProgress(revision: number): void {
    this.progress.push(revision);
    this.wake();
  }
  until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('watch condition not met in time')), timeoutMs);
      const check = (): void => {
        if (condition()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }
  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

describe.runIf(etcdTestsEnabled())('etcd store (1 member)', () => {
  let cluster: EtcdCluster;
  let store: Store;
  let p: string;

  beforeAll(async () => {
    cluster = await startEtcdCluster({ members: 1 });
    store = await openEtcdStore(cluster.endpoints);
  });
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });
  const prefix = (): string => (p = `/t/${randomUUID()}/`);

  it('create stamps revisions; a second create is KeyExistsError', async () => {
    prefix();
    const kv = await store.create(`${p}a`, 'v1');
    expect(kv).toMatchObject({ key: `${p}a`, value: 'v1', version: 1 });
    expect(kv.createRevision).toBe(kv.modRevision);
    expect(await store.currentRevision()).toBe(kv.modRevision);
    expect(await store.get(`${p}a`)).toEqual(kv);
    await expect(store.create(`${p}a`, 'v2')).rejects.toBeInstanceOf(KeyExistsError);
  });

  it('update is a CAS on modRevision: Conflict carries the current value, NotFound when absent', async () => {
    prefix();
    const v1 = await store.create(`${p}a`, 'v1');
    const v2 = await store.update(`${p}a`, 'v2', v1.modRevision);
    expect(v2).toMatchObject({ value: 'v2', version: 2, createRevision: v1.createRevision });
    expect(v2.modRevision).toBeGreaterThan(v1.modRevision);
    expect(await store.get(`${p}a`)).toEqual(v2);
    const conflict = await store.update(`${p}a`, 'v3', v1.modRevision).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).current).toEqual(v2);
    await expect(store.update(`${p}missing`, 'x', 0)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.update(`${p}missing`, 'x', 5)).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.get(`${p}missing`)).toBeUndefined();
  });

  it('delete returns the last value at the delete revision, with optional CAS', async () => {
    prefix();
    const a = await store.create(`${p}a`, 'va');
    await expect(store.delete(`${p}a`, a.modRevision + 100)).rejects.toBeInstanceOf(ConflictError);
    const gone = await store.delete(`${p}a`, a.modRevision);
    expect(gone).toMatchObject({ key: `${p}a`, value: 'va', createRevision: a.createRevision });
    expect(gone.modRevision).toBe(await store.currentRevision());
    await expect(store.delete(`${p}a`)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.delete(`${p}a`, 0)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('list pages with limit/startAfter in key order and reports the revision; count', async () => {
    prefix();
    for (const k of ['c', 'a', 'b', 'd']) await store.create(`${p}${k}`, k);
    await store.create(`${p.slice(0, -1)}x`, 'outside'); // shares the prefix minus its slash
    const page1 = await store.list(p, { limit: 2 });
    expect(page1.items.map((kv) => kv.value)).toEqual(['a', 'b']);
    expect(page1.more).toBe(true);
    expect(page1.revision).toBe(await store.currentRevision());
    const page2 = await store.list(p, { limit: 2, startAfter: page1.items[1]?.key ?? '' });
    expect(page2.items.map((kv) => kv.value)).toEqual(['c', 'd']);
    expect(page2.more).toBe(false);
    expect((await store.list(p)).items).toHaveLength(4);
    expect(await store.count(p)).toBe(4);
    expect(await store.count(`${p}zz`)).toBe(0);
  });

  it('txn applies all ops in one revision only when every compare holds', async () => {
    prefix();
    const a = await store.create(`${p}a`, '1');
    const failed = await store.txn(
      [
        { key: `${p}a`, modRevision: a.modRevision },
        { key: `${p}b`, modRevision: 7 },
      ],
      [{ type: 'put', key: `${p}b`, value: 'x' }],
    );
    expect(failed.succeeded).toBe(false);
    expect(await store.get(`${p}b`)).toBeUndefined();
    const ok = await store.txn(
      [
        { key: `${p}a`, modRevision: a.modRevision },
        { key: `${p}b`, modRevision: 0 },
      ],
      [
        { type: 'put', key: `${p}b`, value: 'x' },
        { type: 'put', key: `${p}a`, value: '2' },
        { type: 'delete', key: `${p}none` },
      ],
    );
    expect(ok.succeeded).toBe(true);
    expect(ok.results[0]).toMatchObject({ key: `${p}b`, version: 1, modRevision: ok.revision, createRevision: ok.revision });
    expect(ok.results[1]).toMatchObject({ key: `${p}a`, version: 2, modRevision: ok.revision, createRevision: a.createRevision });
    expect(ok.results[2]).toBeUndefined();
    expect(await store.get(`${p}a`)).toEqual(ok.results[1]);
  });

  it('watch from a revision replays history in order with prevKv, exact or by prefix', async () => {
    prefix();
    const start = await store.currentRevision();
    const a1 = await store.create(`${p}a`, '1');
    const a2 = await store.update(`${p}a`, '2', a1.modRevision);
    const b = await store.create(`${p}b`, 'b');
    const gone = await store.delete(`${p}a`);
    const all = new Recorder();
    const one = new Recorder();
    const wAll = store.watch(p, { fromRevision: start }, all);
    const wOne = store.watch(`${p}b`, { fromRevision: start, exact: true }, one);
    await all.until(() => all.events.length >= 4);
    await one.until(() => one.events.length >= 1);
    expect(all.events.map((e) => [e.type, e.kv.key, e.kv.modRevision])).toEqual([
      ['put', `${p}a`, a1.modRevision],
      ['put', `${p}a`, a2.modRevision],
      ['put', `${p}b`, b.modRevision],
      ['delete', `${p}a`, gone.modRevision],
    ]);
    expect(all.events[1]?.prevKv).toEqual(a1);
    expect(all.events[3]?.kv).toEqual(gone);
    expect(all.events[3]?.prevKv).toEqual(a2);
    expect(one.events.map((e) => e.kv.key)).toEqual([`${p}b`]);
    // Live events keep flowing after the replay.
    const c = await store.create(`${p}c`, 'c');
    await all.until(() => all.events.length >= 5);
    expect(all.events[4]?.kv).toEqual(c);
    wAll.close();
    wOne.close();
    expect(all.error).toBeUndefined();
  });

  it('a watch withoutPrevious gets no previous values: etcd is not asked to read them', async () => {
    prefix();
    const start = await store.currentRevision();
    const a1 = await store.create(`${p}a`, '1');
    const a2 = await store.update(`${p}a`, '2', a1.modRevision);
    const gone = await store.delete(`${p}a`);
    const rec = new Recorder();
    const w = store.watch(p, { fromRevision: start, withoutPrevious: true }, rec);
    await rec.until(() => rec.events.length >= 3);
    w.close();
    expect(rec.events.map((e) => [e.type, e.kv.key, e.kv.modRevision])).toEqual([
      ['put', `${p}a`, a1.modRevision],
      ['put', `${p}a`, a2.modRevision],
      ['delete', `${p}a`, gone.modRevision],
    ]);
    expect(rec.events.map((e) => e.prevKv)).toEqual([undefined, undefined, undefined]);
  });

  it('a watch without fromRevision sees only later changes, and reports progress when idle', async () => {
    prefix();
    await store.create(`${p}before`, 'x');
    const rec = new Recorder();
    const w = store.watch(p, {}, rec);
    // The harness sets etcd's progress-notify interval to 500 ms: wait for one to know it is live.
    await rec.until(() => rec.progress.length > 0);
    const after = await store.create(`${p}after`, 'y');
    await rec.until(() => rec.events.length > 0);
    expect(rec.events.map((e) => e.kv.key)).toEqual([after.key]);
    const seen = rec.progress.length;
    await rec.until(() => rec.progress.length > seen);
    expect(rec.progress.at(-1)).toBeGreaterThanOrEqual(after.modRevision);
    w.close();
  });

  it('a watch from a compacted revision fails with CompactedError', async () => {
    prefix();
    const a = await store.create(`${p}a`, '1');
    const b = await store.update(`${p}a`, '2', a.modRevision);
    await store.compact(b.modRevision);
    await store.compact(b.modRevision); // compacting again is a no-op
    const rec = new Recorder();
    store.watch(p, { fromRevision: a.modRevision - 1 }, rec);
    await rec.until(() => rec.error !== undefined);
    expect(rec.error).toBeInstanceOf(CompactedError);
    expect((rec.error as CompactedError).compactRevision).toBe(b.modRevision);
    expect(rec.events).toEqual([]);
  });

  it('leases: keys die with the lease; keepAlive/revoke of a gone lease is LeaseNotFoundError', async () => {
    prefix();
    const lease = await store.grantLease(1);
    expect(Number.isSafeInteger(lease)).toBe(true);
    await store.keepAlive(lease);
    const kv = await store.create(`${p}leased`, 'v', { lease });
    expect(kv.lease).toBe(lease);
    expect((await store.get(`${p}leased`))?.lease).toBe(lease);
    const rec = new Recorder();
    const w = store.watch(`${p}leased`, { fromRevision: kv.modRevision, exact: true }, rec);
    // No keep-alive: etcd expires the lease (TTL 1 s, ~1-2 s) and deletes the key.
    await rec.until(() => rec.events.some((e) => e.type === 'delete'), 10_000);
    w.close();
    expect(await store.get(`${p}leased`)).toBeUndefined();
    await expect(store.keepAlive(lease)).rejects.toBeInstanceOf(LeaseNotFoundError);
    await expect(store.create(`${p}x`, 'v', { lease })).rejects.toBeInstanceOf(LeaseNotFoundError);

    const other = await store.grantLease(60);
    await store.create(`${p}b`, 'v', { lease: other });
    await store.revokeLease(other);
    expect(await store.get(`${p}b`)).toBeUndefined();
    await expect(store.revokeLease(other)).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it('commits concurrent writes as one etcd transaction; a failed compare or lease fails only its own write', async () => {
    prefix();
    const created = await Promise.all(Array.from({ length: 50 }, (_, i) => store.create(`${p}k${i}`, String(i))));
    const revisions = created.map((kv) => kv.modRevision);
    expect(new Set(revisions.map(etcdRevisionOf)).size).toBe(1);
    // The last write of the transaction is the etcd revision itself: what the store reports now.
    expect(Math.max(...revisions)).toBe(await store.currentRevision());
    expect(Math.min(...revisions)).toBe(Math.max(...revisions) - 49);

    const lease = await store.grantLease(60);
    await store.revokeLease(lease);
    const mixed = await Promise.allSettled([
      store.update(`${p}k0`, 'new', created[0]!.modRevision),
      store.create(`${p}k1`, 'exists'),
      store.update(`${p}k2`, 'stale', created[3]!.modRevision),
      store.create(`${p}fresh`, 'f'),
      store.create(`${p}leased`, 'l', { lease }),
      store.update(`${p}missing`, 'm', created[4]!.modRevision),
    ]);
    expect(mixed.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).constructor.name))).toEqual([
      'ok',
      'KeyExistsError',
      'ConflictError',
      'ok',
      'LeaseNotFoundError',
      'NotFoundError',
    ]);
    const [k0, , , fresh] = mixed.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    expect(etcdRevisionOf(k0!.modRevision)).toBe(etcdRevisionOf(fresh!.modRevision));
    expect(await store.get(`${p}k0`)).toEqual(k0);
    expect(await store.get(`${p}k2`)).toEqual(created[2]);
    expect(await store.get(`${p}leased`)).toBeUndefined();
    // etcd holds the write's place in its transaction before the value; reads never show it.
    expect(k0!.modRevision % SLOTS).not.toBe(0);
    expect((await store.list(`${p}k0`)).items[0]?.value).toBe('new');
  });

  it('close fails open watches with StoreClosedError and later calls too', async () => {
    prefix();
    const own = await openEtcdStore(cluster.endpoints);
    const rec = new Recorder();
    own.watch(p, {}, rec);
    await own.close();
    expect(rec.error).toBeInstanceOf(StoreClosedError);
    await expect(own.get(`${p}a`)).rejects.toBeInstanceOf(StoreClosedError);
  });

  it('opening against an endpoint where nothing listens is StoreUnavailableError', async () => {
    await expect(openEtcdStore(['127.0.0.1:1'], { requestTimeoutMs: 2000 })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});
