import { afterEach, describe, expect, it } from 'vitest';
import { recordWatch, waitFor } from '../conformance.ts';
import { CompactedError } from '../errors.ts';
import type { Store } from '../types.ts';
import { ManualClock, openMemoryStore } from './index.ts';
import { drainMicrotasks } from './test-support.ts';

describe('embedded watch history and progress', () => {
  let store: Store;
  afterEach(() => store.close());

  it('auto-compacts past historyLimit events', async () => {
    store = await openMemoryStore({ historyLimit: 5, progressIntervalMs: 0 });
    for (let i = 1; i <= 10; i++) await store.create(`/h/${i}`, String(i));
    const old = recordWatch(store, '/h/', { fromRevision: 4 });
    await waitFor(() => old.errors.length === 1, 'CompactedError');
    expect(old.errors[0]).toMatchObject({ requestedRevision: 4, compactRevision: 5 });
    expect(old.errors[0]).toBeInstanceOf(CompactedError);
    const kept = recordWatch(store, '/h/', { fromRevision: 5 });
    await waitFor(() => kept.events.length === 5, 'five retained events');
    expect(kept.events.map((e) => e.kv.modRevision)).toEqual([6, 7, 8, 9, 10]);
    kept.watch.close();
  });

  it('compacts whole revisions so a transaction never loses half its events', async () => {
    store = await openMemoryStore({ historyLimit: 3, progressIntervalMs: 0 });
    await store.txn([], [
      { type: 'put', key: '/t/a', value: '1' },
      { type: 'put', key: '/t/b', value: '1' },
    ]);
    await store.create('/t/c', '1');
    await store.create('/t/d', '1');
    const fromZero = recordWatch(store, '/t/', { fromRevision: 0 });
    await waitFor(() => fromZero.errors.length === 1, 'CompactedError');
    const fromOne = recordWatch(store, '/t/', { fromRevision: 1 });
    await waitFor(() => fromOne.events.length === 2, 'revisions 2 and 3');
    expect(fromOne.events.map((e) => e.kv.key)).toEqual(['/t/c', '/t/d']);
    fromOne.watch.close();
  });

  it('sends progress to idle watchers only, on the injected clock', async () => {
    const clock = new ManualClock();
    store = await openMemoryStore({ clock, progressIntervalMs: 1000 });
    const idle = recordWatch(store, '/idle/');
    const busy = recordWatch(store, '/busy/');
    const kv = await store.create('/busy/a', '1');
    await waitFor(() => busy.events.length === 1, 'busy event');
    clock.advance(1000);
    expect(idle.progress).toEqual([kv.modRevision]);
    expect(busy.progress).toEqual([]);
    clock.advance(1000);
    expect(idle.progress).toEqual([kv.modRevision, kv.modRevision]);
    expect(busy.progress).toEqual([kv.modRevision]);
    idle.watch.close();
    busy.watch.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not deliver events at or below a start revision that lies in the future', async () => {
    store = await openMemoryStore({ progressIntervalMs: 0 });
    const rec = recordWatch(store, '/f/', { fromRevision: 2 });
    await store.create('/f/1', '1');
    await store.create('/f/2', '1');
    await store.create('/f/3', '1');
    await waitFor(() => rec.events.length === 1, 'revision 3');
    await drainMicrotasks();
    expect(rec.events.map((e) => e.kv.modRevision)).toEqual([3]);
    rec.watch.close();
  });

  it('ends only the watch whose handler throws', async () => {
    store = await openMemoryStore({ progressIntervalMs: 0 });
    const errors: Error[] = [];
    store.watch('/x/', {}, {
      onEvents: () => {
        throw new Error('handler bug');
      },
      onError: (err) => errors.push(err),
    });
    const healthy = recordWatch(store, '/x/');
    await store.create('/x/1', '1');
    await store.create('/x/2', '1');
    await waitFor(() => healthy.events.length === 2, 'both events on the healthy watch');
    expect(errors.map((e) => e.message)).toEqual(['handler bug']);
    healthy.watch.close();
  });
});
