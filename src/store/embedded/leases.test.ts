import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseNotFoundError } from '../errors.ts';
import { recordWatch, waitFor } from '../conformance.ts';
import type { Store } from '../types.ts';
import { ManualClock, openEmbeddedStore, openMemoryStore } from './index.ts';
import { drainMicrotasks, summarize, tempDir, type TempDir } from './test-support.ts';

describe('leases on simulated time', () => {
  let clock: ManualClock;
  let store: Store;

  beforeEach(async () => {
    clock = new ManualClock();
    store = await openMemoryStore({ clock, progressIntervalMs: 0 });
  });
  afterEach(() => store.close());

  it('expires exactly at the TTL, deleting all keys in one revision', async () => {
    const lease = await store.grantLease(10);
    await store.create('/l/a', '1', { lease });
    await store.create('/l/b', '1', { lease });
    const rec = recordWatch(store, '/l/');
    clock.advance(9_999);
    await drainMicrotasks();
    expect(await store.get('/l/a')).toBeDefined();
    const before = await store.currentRevision();
    clock.advance(1);
    await waitFor(() => rec.events.length === 2, 'two deletes');
    expect(summarize(rec.events)).toEqual([`delete /l/a@${before + 1}`, `delete /l/b@${before + 1}`]);
    expect(await store.currentRevision()).toBe(before + 1);
    await expect(store.keepAlive(lease)).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it('restarts the countdown on keepAlive', async () => {
    const lease = await store.grantLease(10);
    await store.create('/l/a', '1', { lease });
    for (let i = 0; i < 5; i++) {
      clock.advance(9_000);
      await store.keepAlive(lease);
    }
    expect(await store.get('/l/a')).toBeDefined();
    clock.advance(10_000);
    await waitFor(async () => (await store.get('/l/a')) === undefined, 'expiry');
  });

  it('an expired lease without keys takes no revision', async () => {
    await store.grantLease(1);
    const before = await store.currentRevision();
    clock.advance(1_000);
    await drainMicrotasks();
    expect(await store.currentRevision()).toBe(before);
  });

  it('detaches a key rewritten without the lease (etcd semantics)', async () => {
    const lease = await store.grantLease(5);
    const kv = await store.create('/l/a', '1', { lease });
    await store.update('/l/a', '2', kv.modRevision);
    expect((await store.get('/l/a'))?.lease).toBe(0);
    clock.advance(5_000);
    await drainMicrotasks();
    expect(await store.get('/l/a')).toMatchObject({ value: '2' });
  });

  it('moves a key from one lease to another', async () => {
    const first = await store.grantLease(5);
    const second = await store.grantLease(50);
    const kv = await store.create('/l/a', '1', { lease: first });
    await store.update('/l/a', '2', kv.modRevision, { lease: second });
    clock.advance(5_000);
    await drainMicrotasks();
    expect(await store.get('/l/a')).toMatchObject({ lease: second });
    await store.revokeLease(second);
    expect(await store.get('/l/a')).toBeUndefined();
  });

  it('stops lease timers on close', async () => {
    await store.grantLease(10);
    expect(clock.pendingTimers()).toBe(1);
    await store.close();
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('leases across restart', () => {
  let dir: TempDir;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => dir.remove());

  it('restores leases with a fresh full TTL and keeps their keys attached', async () => {
    const clock1 = new ManualClock();
    const s1 = await openEmbeddedStore(dir.path, { clock: clock1 });
    const lease = await s1.grantLease(30);
    await s1.create('/l/a', '1', { lease });
    clock1.advance(29_000);
    await s1.close();

    const clock2 = new ManualClock();
    const s2 = await openEmbeddedStore(dir.path, { clock: clock2 });
    clock2.advance(29_000);
    await drainMicrotasks();
    expect(await s2.get('/l/a')).toMatchObject({ lease });
    clock2.advance(1_000);
    await waitFor(async () => (await s2.get('/l/a')) === undefined, 'expiry after a fresh TTL');
    // A new lease never reuses an id granted before the restart.
    expect(await s2.grantLease(5)).toBeGreaterThan(lease);
    await s2.close();
  });

  it('keeps a revoked lease revoked after restart', async () => {
    const s1 = await openEmbeddedStore(dir.path, { clock: new ManualClock() });
    const lease = await s1.grantLease(30);
    await s1.create('/l/a', '1', { lease });
    await s1.revokeLease(lease);
    await s1.close();
    const s2 = await openEmbeddedStore(dir.path, { clock: new ManualClock() });
    expect(await s2.get('/l/a')).toBeUndefined();
    await expect(s2.keepAlive(lease)).rejects.toBeInstanceOf(LeaseNotFoundError);
    await s2.close();
  });
});
