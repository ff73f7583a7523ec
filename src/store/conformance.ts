/**
 * The store contract as one vitest suite that every backend runs (embedded and etcd). It tests
 * only what `types.ts` and `errors.ts` promise, never a backend's internals.
 *
 * Every test works under its own fresh key prefix, so a backend may share one keyspace between
 * tests (etcd does). Lease tests use short real TTLs and wait on predicates with deadlines, since
 * etcd runs on real time. `cleanup` must cope with a store that the test already closed.
 *
 * Usage, from a backend's test file:
 *   storeConformance('embedded', async () => ({ store, cleanup: async () => { ... } }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CompactedError,
  ConflictError,
  FencedError,
  KeyExistsError,
  LeaseNotFoundError,
  NotFoundError,
  StoreClosedError,
  StoreError,
} from './errors.ts';
import type { Store, Watch, WatchEvent, WatchOptions } from './types.ts';
import { waitFor as sharedWaitFor } from '../../test/support/wait.ts';

export interface OpenedStore {
  store: Store;
  cleanup: () => Promise<void>;
}

/** Poll `predicate` until it holds or `timeoutMs` passes (then fail with `what`). */
export function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  return sharedWaitFor(what, async () => (await predicate()) || undefined, timeoutMs).then(() => undefined);
}

/** Everything a watch delivered, for assertions. */
export interface WatchRecorder {
  events: WatchEvent[];
  errors: Error[];
  progress: number[];
  /** Number of onEvents calls (one call may carry several events). */
  calls: number;
  watch: Watch;
}

export function recordWatch(store: Store, prefix: string, opts: WatchOptions = {}): WatchRecorder {
  const rec: Omit<WatchRecorder, 'watch'> = { events: [], errors: [], progress: [], calls: 0 };
  const watch = store.watch(prefix, opts, {
    onEvents: (events) => {
      rec.calls++;
      rec.events.push(...events);
    },
    onError: (err) => rec.errors.push(err),
    onProgress: (revision) => rec.progress.push(revision),
  });
  return Object.assign(rec, { watch });
}

/** `type key@revision`: a compact form for comparing event sequences. */
function summary(ev: WatchEvent): string {
  return `${ev.type} ${ev.kv.key}@${ev.kv.modRevision}`;
}

let prefixCounter = 0;
function freshPrefix(): string {
  return `/conformance/${Date.now().toString(36)}-${process.pid}-${prefixCounter++}/`;
}

export function storeConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store conformance: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    let p: string;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      p = freshPrefix();
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    describe('create and get', () => {
      it('creates a key at a new revision with version 1', async () => {
        const before = await store.currentRevision();
        const kv = await store.create(`${p}a`, 'v1');
        expect(kv).toMatchObject({ key: `${p}a`, value: 'v1', version: 1 });
        expect(kv.modRevision).toBeGreaterThan(before);
        expect(kv.createRevision).toBe(kv.modRevision);
        expect(await store.get(`${p}a`)).toMatchObject({ key: `${p}a`, value: 'v1', modRevision: kv.modRevision, version: 1 });
      });

      it('rejects creating an existing key with KeyExistsError and leaves it unchanged', async () => {
        const kv = await store.create(`${p}a`, 'v1');
        const err = await store.create(`${p}a`, 'v2').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(KeyExistsError);
        expect((err as KeyExistsError).code).toBe('KeyExists');
        expect((err as KeyExistsError).key).toBe(`${p}a`);
        expect(await store.get(`${p}a`)).toMatchObject({ value: 'v1', modRevision: kv.modRevision });
      });

      it('returns undefined for a missing key', async () => {
        expect(await store.get(`${p}missing`)).toBeUndefined();
      });

      it('round-trips non-ASCII and large values', async () => {
        const value = JSON.stringify({ text: 'héllo wörld ✓ 日本', big: 'x'.repeat(100_000) });
        await store.create(`${p}u`, value);
        expect((await store.get(`${p}u`))?.value).toBe(value);
      });
    });

    describe('update (compare-and-swap)', () => {
      it('replaces the value when the revision matches', async () => {
        const v1 = await store.create(`${p}a`, 'v1');
        const v2 = await store.update(`${p}a`, 'v2', v1.modRevision);
        expect(v2).toMatchObject({ key: `${p}a`, value: 'v2', version: 2, createRevision: v1.createRevision });
        expect(v2.modRevision).toBeGreaterThan(v1.modRevision);
        expect(await store.get(`${p}a`)).toMatchObject({ value: 'v2', modRevision: v2.modRevision });
      });

      it('throws ConflictError carrying the current value when the revision moved', async () => {
        const v1 = await store.create(`${p}a`, 'v1');
        const v2 = await store.update(`${p}a`, 'v2', v1.modRevision);
        const err = await store.update(`${p}a`, 'v3', v1.modRevision).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConflictError);
        const conflict = err as ConflictError;
        expect(conflict.code).toBe('Conflict');
        expect(conflict.key).toBe(`${p}a`);
        expect(conflict.expectedRevision).toBe(v1.modRevision);
        expect(conflict.current).toMatchObject({ value: 'v2', modRevision: v2.modRevision });
        expect(await store.get(`${p}a`)).toMatchObject({ value: 'v2' });
      });

      it('throws NotFoundError for a missing key', async () => {
        const err = await store.update(`${p}missing`, 'v', 1).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect((err as NotFoundError).code).toBe('NotFound');
        expect(await store.get(`${p}missing`)).toBeUndefined();
      });

      it('lets exactly one of many racing updates from one revision win', async () => {
        const v1 = await store.create(`${p}a`, '0');
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.update(`${p}a`, String(i + 1), v1.modRevision)));
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
      });
    });

    describe('fenced writes (PutOptions.fence)', () => {
      it('writes while the fence key is at the given revision (or absent, for 0)', async () => {
        const fence = await store.create(`${p}fence`, 'holder');
        const a = await store.create(`${p}a`, 'v1', { fence: { key: fence.key, modRevision: fence.modRevision } });
        const a2 = await store.update(`${p}a`, 'v2', a.modRevision, { fence: { key: fence.key, modRevision: fence.modRevision } });
        expect(a2).toMatchObject({ value: 'v2', version: 2 });
        await store.create(`${p}b`, 'v1', { fence: { key: `${p}no-fence`, modRevision: 0 } });
        expect((await store.get(`${p}b`))?.value).toBe('v1');
      });

      it('refuses with FencedError, writing nothing, once the fence key moved — before its own compare', async () => {
        const fence = await store.create(`${p}fence`, 'holder');
        const a = await store.create(`${p}a`, 'v1');
        const moved = await store.update(fence.key, 'other', fence.modRevision);
        const before = await store.currentRevision();
        const held = { key: fence.key, modRevision: fence.modRevision };
        const outcomes = await Promise.allSettled([
          store.create(`${p}new`, 'x', { fence: held }),
          store.update(`${p}a`, 'v2', a.modRevision, { fence: held }),
          // Its own compare fails too: the fence is what it is told.
          store.create(`${p}a`, 'x', { fence: held }),
        ]);
        for (const outcome of outcomes) {
          const err = (outcome as PromiseRejectedResult).reason as unknown;
          expect(err).toBeInstanceOf(FencedError);
          expect(err).toMatchObject({ code: 'Fenced', fenceKey: fence.key, heldRevision: fence.modRevision, foundRevision: moved.modRevision });
        }
        expect(await store.currentRevision()).toBe(before);
        expect(await store.get(`${p}new`)).toBeUndefined();
        expect((await store.get(`${p}a`))?.value).toBe('v1');
      });

      it('among concurrent writes, refuses exactly those whose fence moved', async () => {
        const fence = await store.create(`${p}fence`, 'holder');
        const moved = await store.update(fence.key, 'other', fence.modRevision);
        const stale = { key: fence.key, modRevision: fence.modRevision };
        const current = { key: fence.key, modRevision: moved.modRevision };
        const results = await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) => store.create(`${p}k${i}`, String(i), i % 3 === 0 ? { fence: stale } : i % 3 === 1 ? { fence: current } : {})),
        );
        results.forEach((r, i) => {
          if (i % 3 === 0) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(FencedError);
          else expect(r).toMatchObject({ status: 'fulfilled', value: { value: String(i) } });
        });
        expect(await store.count(`${p}k`)).toBe(20);
      });
    });

    describe('delete', () => {
      it('deletes unconditionally and returns the last value at the delete revision', async () => {
        const v1 = await store.create(`${p}a`, 'v1');
        const del = await store.delete(`${p}a`);
        expect(del).toMatchObject({ key: `${p}a`, value: 'v1' });
        expect(del.modRevision).toBeGreaterThan(v1.modRevision);
        expect(await store.get(`${p}a`)).toBeUndefined();
        expect(await store.currentRevision()).toBeGreaterThanOrEqual(del.modRevision);
      });

      it('deletes when the expected revision matches', async () => {
        const v1 = await store.create(`${p}a`, 'v1');
        await store.delete(`${p}a`, v1.modRevision);
        expect(await store.get(`${p}a`)).toBeUndefined();
      });

      it('throws ConflictError and keeps the key when the expected revision moved', async () => {
        const v1 = await store.create(`${p}a`, 'v1');
        const v2 = await store.update(`${p}a`, 'v2', v1.modRevision);
        const err = await store.delete(`${p}a`, v1.modRevision).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConflictError);
        expect((err as ConflictError).current).toMatchObject({ modRevision: v2.modRevision });
        expect(await store.get(`${p}a`)).toMatchObject({ value: 'v2' });
      });

      it('throws NotFoundError for a missing key, with or without expected revision', async () => {
        await expect(store.delete(`${p}missing`)).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.delete(`${p}missing`, 5)).rejects.toBeInstanceOf(NotFoundError);
      });

      it('starts a fresh life on re-create (version 1, new createRevision)', async () => {
        const first = await store.create(`${p}a`, 'v1');
        await store.delete(`${p}a`);
        const again = await store.create(`${p}a`, 'v2');
        expect(again.version).toBe(1);
        expect(again.createRevision).toBeGreaterThan(first.createRevision);
      });
    });

    describe('list and count', () => {
      const names = ['m', 'b', 'z', 'a', 'c/d', 'c', 'b0', 'y'];

      beforeEach(async () => {
        for (const n of names) await store.create(`${p}items/${n}`, n);
        // Neighbours that share a string prefix but are outside `items/`.
        await store.create(`${p}items`, 'self');
        await store.create(`${p}itemsX`, 'sibling');
      });

      it('returns keys under the prefix in key order, with a revision covering them', async () => {
        const res = await store.list(`${p}items/`);
        expect(res.items.map((kv) => kv.key)).toEqual([...names].sort().map((n) => `${p}items/${n}`));
        expect(res.items.map((kv) => kv.value)).toEqual([...names].sort());
        expect(res.more).toBe(false);
        expect(res.revision).toBeGreaterThanOrEqual(Math.max(...res.items.map((kv) => kv.modRevision)));
      });

      it('cuts at limit, reports more, and pages with startAfter exactly once each', async () => {
        const first = await store.list(`${p}items/`, { limit: 3 });
        expect(first.items).toHaveLength(3);
        expect(first.more).toBe(true);
        const seen = first.items.map((kv) => kv.key);
        let last = seen[seen.length - 1];
        for (;;) {
          const page = await store.list(`${p}items/`, { limit: 3, startAfter: last });
          seen.push(...page.items.map((kv) => kv.key));
          if (!page.more) break;
          last = page.items[page.items.length - 1]!.key;
        }
        expect(seen).toEqual([...names].sort().map((n) => `${p}items/${n}`));
      });

      it('treats limit 0 as no limit and a limit equal to the size as complete', async () => {
        expect((await store.list(`${p}items/`, { limit: 0 })).items).toHaveLength(names.length);
        const exact = await store.list(`${p}items/`, { limit: names.length });
        expect(exact.items).toHaveLength(names.length);
        expect(exact.more).toBe(false);
      });

      it('returns an empty list for an empty prefix range', async () => {
        const res = await store.list(`${p}nothing/`);
        expect(res.items).toEqual([]);
        expect(res.more).toBe(false);
        expect(res.revision).toBeGreaterThan(0);
      });

      it('counts keys under a prefix', async () => {
        expect(await store.count(`${p}items/`)).toBe(names.length);
        expect(await store.count(`${p}items`)).toBe(names.length + 2);
        expect(await store.count(`${p}nothing/`)).toBe(0);
        await store.delete(`${p}items/a`);
        expect(await store.count(`${p}items/`)).toBe(names.length - 1);
      });

      it('reads pages as of an earlier revision: a snapshot that later writes do not change', async () => {
        const first = await store.list(`${p}items/`, { limit: 3 });
        const at = first.revision;
        const keyOf = (n: string): string => `${p}items/${n}`;
        // After the first page: a delete, an update, a create and a re-create, in range and out of it.
        const m = (await store.get(keyOf('m')))!;
        await store.update(keyOf('m'), 'm2', m.modRevision);
        await store.delete(keyOf('y'));
        await store.create(keyOf('n'), 'new');
        await store.delete(keyOf('z'));
        await store.create(keyOf('z'), 'z-again');
        await store.create(`${p}itemsX/later`, 'outside');

        const seen = [...first.items];
        let last = first.items[first.items.length - 1]!.key;
        for (;;) {
          const page = await store.list(`${p}items/`, { limit: 2, startAfter: last, revision: at });
          expect(page.revision).toBe(at);
          seen.push(...page.items);
          if (!page.more) break;
          last = page.items[page.items.length - 1]!.key;
        }
        expect(seen.map((kv) => kv.key)).toEqual([...names].sort().map(keyOf));
        expect(seen.map((kv) => kv.value)).toEqual([...names].sort());
        expect(seen.every((kv) => kv.modRevision <= at)).toBe(true);
        // The latest read shows the writes.
        const now = await store.list(`${p}items/`);
        expect(now.items.map((kv) => kv.value)).toEqual(['a', 'b', 'b0', 'c', 'c/d', 'm2', 'new', 'z-again']);
      });

      it('a read as of a revision leaves out writes still in flight', async () => {
        const before = await store.list(`${p}items/`);
        const writes = [store.create(`${p}items/w1`, '1'), store.delete(`${p}items/a`)];
        const snapshot = await store.list(`${p}items/`, { revision: before.revision });
        await Promise.all(writes);
        expect(snapshot.items.map((kv) => kv.value)).toEqual([...names].sort());
      });

      it('fails a read as of a compacted revision with CompactedError', async () => {
        const before = await store.list(`${p}items/`);
        await store.create(`${p}items/later`, 'l');
        await store.compact(await store.currentRevision());
        await expect(store.list(`${p}items/`, { revision: before.revision })).rejects.toBeInstanceOf(CompactedError);
      });

      it('gives a revision from which a watch misses nothing', async () => {
        const res = await store.list(`${p}items/`);
        const rec = recordWatch(store, `${p}items/`, { fromRevision: res.revision });
        await store.create(`${p}items/new`, 'n');
        await waitFor(() => rec.events.length >= 1, 'the create after the list');
        expect(rec.events.map((e) => e.kv.key)).toEqual([`${p}items/new`]);
        rec.watch.close();
      });
    });

    describe('revisions', () => {
      it('increase strictly with every write and currentRevision follows', async () => {
        const revs: number[] = [];
        const a = await store.create(`${p}a`, '1');
        revs.push(a.modRevision);
        const b = await store.update(`${p}a`, '2', a.modRevision);
        revs.push(b.modRevision);
        revs.push((await store.create(`${p}b`, '1')).modRevision);
        revs.push((await store.delete(`${p}b`)).modRevision);
        revs.push((await store.create(`${p}b`, '2')).modRevision);
        for (let i = 1; i < revs.length; i++) expect(revs[i]).toBeGreaterThan(revs[i - 1]!);
        const current = await store.currentRevision();
        expect(current).toBeGreaterThanOrEqual(revs[revs.length - 1]!);
        expect((await store.create(`${p}c`, '1')).modRevision).toBeGreaterThan(current);
      });

      it('gives concurrent writes distinct revisions', async () => {
        const kvs = await Promise.all(Array.from({ length: 50 }, (_, i) => store.create(`${p}k${i}`, String(i))));
        expect(new Set(kvs.map((kv) => kv.modRevision)).size).toBe(50);
        for (const kv of kvs) expect(await store.get(kv.key)).toEqual(kv);
      });

      it('lets a watch resume after any concurrent write and deliver exactly the later ones', async () => {
        const created = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(`${p}k${i}`, `c${i}`)));
        const updated = await Promise.all(created.map((kv, i) => store.update(kv.key, `u${i}`, kv.modRevision)));
        const writes = [...created, ...updated].sort((a, b) => a.modRevision - b.modRevision);
        for (const pivot of [0, 5, 19, 20, 33, 38]) {
          const later = writes.slice(pivot + 1).map((kv) => `put ${kv.key}@${kv.modRevision}`);
          const rec = recordWatch(store, p, { fromRevision: writes[pivot]!.modRevision });
          await waitFor(() => rec.events.length >= later.length, `watch after write ${pivot}`);
          expect(rec.events.map(summary)).toEqual(later);
          rec.watch.close();
        }
      });

      it('fails exactly the stale ones of concurrent updates, each with its current value', async () => {
        const v1 = await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(`${p}k${i}`, 'v1')));
        const v2 = await Promise.all(v1.filter((_, i) => i % 2 === 0).map((kv) => store.update(kv.key, 'v2', kv.modRevision)));
        const results = await Promise.allSettled(v1.map((kv) => store.update(kv.key, 'v3', kv.modRevision)));
        results.forEach((r, i) => {
          if (i % 2 === 1) return expect(r).toMatchObject({ status: 'fulfilled', value: { key: `${p}k${i}`, value: 'v3', version: 2 } });
          expect(r.status).toBe('rejected');
          const err = (r as PromiseRejectedResult).reason as ConflictError;
          expect(err).toBeInstanceOf(ConflictError);
          expect(err.current).toEqual(v2[i / 2]);
        });
      });

      it('treats a revision the key never had as a conflict, though another key has it', async () => {
        const [a, b] = await Promise.all([store.create(`${p}a`, 'a'), store.create(`${p}b`, 'b')]);
        await expect(store.update(`${p}a`, 'x', b!.modRevision)).rejects.toBeInstanceOf(ConflictError);
        await expect(store.update(`${p}b`, 'x', a!.modRevision)).rejects.toBeInstanceOf(ConflictError);
        await expect(store.delete(`${p}a`, b!.modRevision)).rejects.toBeInstanceOf(ConflictError);
        expect(await store.get(`${p}a`)).toEqual(a);
      });

      it('keeps any string value, alone and among concurrent writes (empty, NUL first, non-ASCII)', async () => {
        const values = ['', '\0', '\0x\0y', 'ünï', '{"a":1}'];
        const alone = [];
        for (const [i, value] of values.entries()) alone.push(await store.create(`${p}alone${i}`, value));
        const together = await Promise.all(values.map((value, i) => store.create(`${p}together${i}`, value)));
        for (const [i, value] of values.entries()) {
          expect(await store.get(`${p}alone${i}`)).toMatchObject({ value, modRevision: alone[i]!.modRevision });
          expect(await store.get(`${p}together${i}`)).toMatchObject({ value, modRevision: together[i]!.modRevision });
          await store.update(`${p}together${i}`, `${value}!`, together[i]!.modRevision);
        }
        expect((await store.list(`${p}together`)).items.map((kv) => kv.value)).toEqual(values.map((v) => `${v}!`));
      });

      it('does not move the revision on failed writes', async () => {
        const a = await store.create(`${p}a`, '1');
        const before = await store.currentRevision();
        await store.create(`${p}a`, 'again').catch(() => undefined);
        await store.update(`${p}a`, 'x', a.modRevision + 1000).catch(() => undefined);
        await store.delete(`${p}missing`).catch(() => undefined);
        expect(await store.currentRevision()).toBe(before);
      });
    });

    describe('txn', () => {
      it('applies every op at one revision when all compares hold', async () => {
        const a = await store.create(`${p}a`, 'a1');
        const b = await store.create(`${p}b`, 'b1');
        const res = await store.txn(
          [
            { key: `${p}a`, modRevision: a.modRevision },
            { key: `${p}b`, modRevision: b.modRevision },
            { key: `${p}c`, modRevision: 0 },
          ],
          [
            { type: 'put', key: `${p}a`, value: 'a2' },
            { type: 'put', key: `${p}c`, value: 'c1' },
            { type: 'delete', key: `${p}b` },
          ],
        );
        expect(res.succeeded).toBe(true);
        expect(res.revision).toBeGreaterThan(b.modRevision);
        expect(res.results).toHaveLength(3);
        expect(res.results[0]).toMatchObject({ key: `${p}a`, value: 'a2', modRevision: res.revision, version: 2 });
        expect(res.results[1]).toMatchObject({ key: `${p}c`, value: 'c1', modRevision: res.revision, version: 1 });
        expect(res.results[2]).toMatchObject({ key: `${p}b` });
        expect(await store.get(`${p}a`)).toMatchObject({ value: 'a2', modRevision: res.revision });
        expect(await store.get(`${p}c`)).toMatchObject({ value: 'c1', modRevision: res.revision, createRevision: res.revision });
        expect(await store.get(`${p}b`)).toBeUndefined();
      });

      it('applies nothing when any compare fails', async () => {
        const a = await store.create(`${p}a`, 'a1');
        await store.create(`${p}b`, 'b1');
        const before = await store.currentRevision();
        const res = await store.txn(
          [
            { key: `${p}a`, modRevision: a.modRevision },
            { key: `${p}b`, modRevision: 0 },
          ],
          [
            { type: 'put', key: `${p}a`, value: 'a2' },
            { type: 'put', key: `${p}new`, value: 'n' },
            { type: 'delete', key: `${p}b` },
          ],
        );
        expect(res.succeeded).toBe(false);
        expect(await store.get(`${p}a`)).toMatchObject({ value: 'a1', modRevision: a.modRevision });
        expect(await store.get(`${p}b`)).toMatchObject({ value: 'b1' });
        expect(await store.get(`${p}new`)).toBeUndefined();
        expect(await store.currentRevision()).toBe(before);
      });

      it('treats modRevision 0 as "must not exist"', async () => {
        const created = await store.txn([{ key: `${p}x`, modRevision: 0 }], [{ type: 'put', key: `${p}x`, value: '1' }]);
        expect(created.succeeded).toBe(true);
        const again = await store.txn([{ key: `${p}x`, modRevision: 0 }], [{ type: 'put', key: `${p}x`, value: '2' }]);
        expect(again.succeeded).toBe(false);
        expect(await store.get(`${p}x`)).toMatchObject({ value: '1' });
      });

      it('reports a delete of an absent key as undefined', async () => {
        const res = await store.txn([], [
          { type: 'put', key: `${p}a`, value: '1' },
          { type: 'delete', key: `${p}absent` },
        ]);
        expect(res.succeeded).toBe(true);
        expect(res.results[0]).toMatchObject({ key: `${p}a`, modRevision: res.revision });
        expect(res.results[1]).toBeUndefined();
      });

      it('emits one watch event per op, all at the txn revision', async () => {
        await store.create(`${p}b`, 'b1');
        const rec = recordWatch(store, p);
        const res = await store.txn([], [
          { type: 'put', key: `${p}a`, value: 'a1' },
          { type: 'delete', key: `${p}b` },
        ]);
        await waitFor(() => rec.events.length >= 2, 'both txn events');
        expect(rec.events.map(summary).sort()).toEqual([`delete ${p}b@${res.revision}`, `put ${p}a@${res.revision}`]);
        rec.watch.close();
      });
    });

    describe('watch', () => {
      it('replays history from a revision in order, exactly once, then streams live', async () => {
        const start = await store.currentRevision();
        const a = await store.create(`${p}a`, '1');
        const a2 = await store.update(`${p}a`, '2', a.modRevision);
        await store.create(`${p}b`, '1');
        await store.delete(`${p}a`);
        await store.create(`/elsewhere${p}`, 'not watched');
        const rec = recordWatch(store, p, { fromRevision: start });
        await waitFor(() => rec.events.length >= 4, 'replayed history');
        await store.create(`${p}c`, '1');
        await store.update(`${p}b`, '2', (await store.get(`${p}b`))!.modRevision);
        await waitFor(() => rec.events.length >= 6, 'live events');
        expect(rec.events.map((e) => `${e.type} ${e.kv.key}`)).toEqual([
          `put ${p}a`,
          `put ${p}a`,
          `put ${p}b`,
          `delete ${p}a`,
          `put ${p}c`,
          `put ${p}b`,
        ]);
        expect(rec.events[1]!.kv.modRevision).toBe(a2.modRevision);
        const revs = rec.events.map((e) => e.kv.modRevision);
        for (let i = 1; i < revs.length; i++) expect(revs[i]).toBeGreaterThan(revs[i - 1]!);
        expect(revs[0]).toBeGreaterThan(start);
        expect(rec.errors).toEqual([]);
        rec.watch.close();
      });

      it('replays only events after fromRevision', async () => {
        await store.create(`${p}a`, '1');
        const b = await store.create(`${p}b`, '1');
        await store.create(`${p}c`, '1');
        const rec = recordWatch(store, p, { fromRevision: b.modRevision });
        await store.create(`${p}d`, '1');
        await waitFor(() => rec.events.length >= 2, 'events after b');
        expect(rec.events.map((e) => e.kv.key)).toEqual([`${p}c`, `${p}d`]);
        rec.watch.close();
      });

      it('without fromRevision delivers only changes made after the call', async () => {
        await store.create(`${p}old`, '1');
        const rec = recordWatch(store, p);
        await store.create(`${p}new`, '1');
        await waitFor(() => rec.events.length >= 1, 'the new key');
        await store.create(`${p}newer`, '1');
        await waitFor(() => rec.events.length >= 2, 'the newer key');
        expect(rec.events.map((e) => e.kv.key)).toEqual([`${p}new`, `${p}newer`]);
        rec.watch.close();
      });

      it('sees every one of many concurrent writes exactly once, in revision order', async () => {
        const rec = recordWatch(store, p);
        const kvs = await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`${p}k${i}`, String(i))));
        await waitFor(() => rec.events.length >= 100, '100 events');
        const expected = kvs.map((kv) => kv.modRevision).sort((x, y) => x - y);
        expect(rec.events.map((e) => e.kv.modRevision)).toEqual(expected);
        rec.watch.close();
      });

      it('watches one exact key, not keys that extend it', async () => {
        const rec = recordWatch(store, `${p}a`, { exact: true });
        await store.create(`${p}ab`, '1');
        await store.create(`${p}a/child`, '1');
        await store.create(`${p}a`, '1');
        await waitFor(() => rec.events.length >= 1, 'the exact key');
        await store.create(`${p}b`, '1');
        await store.update(`${p}a`, '2', (await store.get(`${p}a`))!.modRevision);
        await waitFor(() => rec.events.length >= 2, 'the update');
        expect(rec.events.map((e) => e.kv.key)).toEqual([`${p}a`, `${p}a`]);
        rec.watch.close();
      });

      it('carries prevKv on updates and deletes; a delete carries the last value at the delete revision', async () => {
        const rec = recordWatch(store, p);
        const v1 = await store.create(`${p}a`, 'v1');
        const v2 = await store.update(`${p}a`, 'v2', v1.modRevision);
        const del = await store.delete(`${p}a`);
        await waitFor(() => rec.events.length >= 3, 'three events');
        const [created, updated, deleted] = rec.events;
        expect(created!.type).toBe('put');
        expect(created!.prevKv).toBeUndefined();
        expect(updated!.type).toBe('put');
        expect(updated!.kv).toMatchObject({ value: 'v2', modRevision: v2.modRevision, version: 2 });
        expect(updated!.prevKv).toMatchObject({ value: 'v1', modRevision: v1.modRevision });
        expect(deleted!.type).toBe('delete');
        expect(deleted!.kv).toMatchObject({ key: `${p}a`, value: 'v2', modRevision: del.modRevision });
        expect(deleted!.prevKv).toMatchObject({ value: 'v2', modRevision: v2.modRevision });
        rec.watch.close();
      });

      it('stops delivering after close()', async () => {
        const rec = recordWatch(store, p);
        await store.create(`${p}a`, '1');
        await waitFor(() => rec.events.length >= 1, 'first event');
        rec.watch.close();
        rec.watch.close();
        await store.create(`${p}b`, '1');
        // A second watch proves the write was published; the closed one must not have seen it.
        const probe = recordWatch(store, p, { fromRevision: rec.events[0]!.kv.modRevision });
        await waitFor(() => probe.events.length >= 1, 'probe event');
        expect(rec.events).toHaveLength(1);
        probe.watch.close();
      });

      it('fails a watch from a compacted revision with CompactedError', async () => {
        const a = await store.create(`${p}a`, '1');
        for (let i = 0; i < 5; i++) await store.create(`${p}n${i}`, String(i));
        const compactAt = await store.currentRevision();
        await store.create(`${p}after`, '1');
        await store.compact(compactAt);

        const old = recordWatch(store, p, { fromRevision: a.modRevision });
        await waitFor(() => old.errors.length >= 1, 'CompactedError');
        expect(old.errors[0]).toBeInstanceOf(CompactedError);
        expect((old.errors[0] as CompactedError).code).toBe('Compacted');
        expect(old.events).toEqual([]);

        const fresh = recordWatch(store, p, { fromRevision: compactAt });
        await waitFor(() => fresh.events.length >= 1, 'events after the compaction point');
        expect(fresh.events.map((e) => e.kv.key)).toEqual([`${p}after`]);
        expect(fresh.errors).toEqual([]);
        fresh.watch.close();
      });

      it('keeps the latest value of every key readable after compaction', async () => {
        const a = await store.create(`${p}a`, '1');
        await store.update(`${p}a`, '2', a.modRevision);
        await store.compact(await store.currentRevision());
        expect(await store.get(`${p}a`)).toMatchObject({ value: '2' });
        expect((await store.list(p)).items).toHaveLength(1);
      });

      it('reports progress to an idle watcher', async () => {
        const kv = await store.create(`${p}a`, '1');
        const rec = recordWatch(store, `${p}idle/`);
        await waitFor(() => rec.progress.length >= 1, 'a progress notification', 20_000);
        expect(rec.progress[0]).toBeGreaterThanOrEqual(kv.modRevision);
        rec.watch.close();
      }, 30_000);
    });

    describe('leases', () => {
      it('deletes attached keys at expiry, in one revision, and emits delete events', async () => {
        const lease = await store.grantLease(1);
        await store.create(`${p}a`, '1', { lease });
        await store.create(`${p}b`, '1', { lease });
        await store.create(`${p}keep`, '1');
        expect((await store.get(`${p}a`))?.lease).toBe(lease);
        const rec = recordWatch(store, p);
        await waitFor(async () => (await store.get(`${p}a`)) === undefined, 'lease expiry', 15_000);
        await waitFor(() => rec.events.length >= 2, 'delete events');
        expect(rec.events.map((e) => `${e.type} ${e.kv.key}`).sort()).toEqual([`delete ${p}a`, `delete ${p}b`]);
        expect(rec.events[0]!.kv.modRevision).toBe(rec.events[1]!.kv.modRevision);
        expect(await store.get(`${p}b`)).toBeUndefined();
        expect(await store.get(`${p}keep`)).toMatchObject({ value: '1' });
        await expect(store.keepAlive(lease)).rejects.toBeInstanceOf(LeaseNotFoundError);
        rec.watch.close();
      }, 30_000);

      it('keeps a lease alive while it is renewed', async () => {
        const lease = await store.grantLease(2);
        await store.create(`${p}a`, '1', { lease });
        // Renew for longer than the TTL at a steady cadence (real time: etcd has no fake clock).
        const until = Date.now() + 3_500;
        while (Date.now() < until) {
          await store.keepAlive(lease);
          await new Promise((resolve) => setTimeout(resolve, 400));
        }
        expect(await store.get(`${p}a`)).toMatchObject({ value: '1' });
        await store.revokeLease(lease);
      }, 30_000);

      it('revokes a lease now, deleting its keys', async () => {
        const lease = await store.grantLease(60);
        await store.create(`${p}a`, '1', { lease });
        const rec = recordWatch(store, p);
        await store.revokeLease(lease);
        expect(await store.get(`${p}a`)).toBeUndefined();
        await waitFor(() => rec.events.length >= 1, 'delete event');
        expect(rec.events[0]).toMatchObject({ type: 'delete', kv: { key: `${p}a` } });
        await expect(store.keepAlive(lease)).rejects.toBeInstanceOf(LeaseNotFoundError);
        rec.watch.close();
      });

      it('throws LeaseNotFoundError for unknown leases', async () => {
        const lease = await store.grantLease(60);
        await store.revokeLease(lease);
        await expect(store.keepAlive(lease)).rejects.toBeInstanceOf(LeaseNotFoundError);
        await expect(store.revokeLease(lease)).rejects.toBeInstanceOf(LeaseNotFoundError);
        await expect(store.create(`${p}a`, '1', { lease })).rejects.toBeInstanceOf(LeaseNotFoundError);
        expect(await store.get(`${p}a`)).toBeUndefined();
      });

      it('grants distinct lease ids', async () => {
        const ids = await Promise.all([store.grantLease(60), store.grantLease(60), store.grantLease(60)]);
        expect(new Set(ids).size).toBe(3);
        for (const id of ids) await store.revokeLease(id);
      });
    });

    describe('close', () => {
      it('ends open watches with StoreClosedError and rejects later calls', async () => {
        const rec = recordWatch(store, p);
        await store.create(`${p}a`, '1');
        await waitFor(() => rec.events.length >= 1, 'an event');
        await store.close();
        await waitFor(() => rec.errors.length >= 1, 'the watch to end');
        expect(rec.errors[0]).toBeInstanceOf(StoreClosedError);
        const err = await store.get(`${p}a`).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        await store.close();
      });
    });
  });
}
