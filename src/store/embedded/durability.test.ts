import { describe, expect, it } from 'vitest';
import { recordWatch } from '../conformance.ts';
import { History } from './history.ts';
import type { Commit, CommitSink, Journal } from './journal.ts';
import { Keyspace } from './keyspace.ts';
import { resolveOptions } from './options.ts';
import { EmbeddedStore } from './store.ts';
import { drainMicrotasks } from './test-support.ts';

/** A journal that makes commits durable only when the test says so. */
class HeldJournal implements Journal {
  held: Commit[] = [];
  constructor(private readonly sink: CommitSink) {}
  append(_record: unknown, commit: Commit): void {
    this.held.push(commit);
  }
  release(): void {
    this.sink.durable(this.held.splice(0));
  }
  fail(err: Error): void {
    this.sink.failed(err, this.held.splice(0));
  }
  async close(): Promise<void> {
    this.release();
  }
}

function heldStore(): { store: EmbeddedStore; journal: () => HeldJournal } {
  let journal: HeldJournal | undefined;
  const store = new EmbeddedStore({
    keyspace: new Keyspace(),
    history: new History(0, 100),
    options: resolveOptions({ progressIntervalMs: 0 }),
    journal: (sink) => (journal = new HeldJournal(sink)),
  });
  return { store, journal: () => journal! };
}

describe('embedded store durability ordering', () => {
  it('acknowledges writes, answers reads and publishes events only once durable', async () => {
    const { store, journal } = heldStore();
    const rec = recordWatch(store, '/');
    let acked = false;
    let read: string | undefined = 'pending';
    const write = store.create('/a', '1').then(() => (acked = true));
    void store.get('/a').then((kv) => (read = kv?.value));
    await drainMicrotasks();
    expect(acked).toBe(false);
    expect(read).toBe('pending');
    expect(rec.events).toEqual([]);

    journal().release();
    await write;
    await drainMicrotasks();
    expect(read).toBe('1');
    expect(rec.events.map((e) => e.kv.key)).toEqual(['/a']);
    await store.close();
  });

  it('rejects a conflicting write only after the state it conflicts with is durable', async () => {
    const { store, journal } = heldStore();
    void store.create('/a', '1');
    let rejected = false;
    store.create('/a', '2').catch(() => (rejected = true));
    await drainMicrotasks();
    expect(rejected).toBe(false);
    journal().release();
    await drainMicrotasks();
    expect(rejected).toBe(true);
    await store.close();
  });

  it('fails pending and later calls, and ends watches, when the journal fails', async () => {
    const { store, journal } = heldStore();
    const rec = recordWatch(store, '/');
    const write = store.create('/a', '1');
    journal().fail(new Error('disk gone'));
    await expect(write).rejects.toMatchObject({ code: 'Unavailable' });
    await expect(store.get('/a')).rejects.toMatchObject({ code: 'Unavailable' });
    expect(rec.errors[0]).toMatchObject({ code: 'Unavailable' });
    await store.close();
  });
});
