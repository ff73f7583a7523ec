/** The transition log on a real (memory) store: append order, trimming, drops, Events, history, latest, sweeping. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TransitionRecord } from '../../api/transition.ts';
import { openMemoryStore } from '../../store/embedded/index.ts';
import type { Store } from '../../store/types.ts';
import { actorKeyOf, type LogEntry } from './entries.ts';
import { DIRECTORY_PREFIX, RECORDS_PREFIX, actorPrefix, directoryKey, eventsPrefix, parseRecordKey } from './keys.ts';
import { readHistory, readLatestTransitions, watchLog } from './reader.ts';
import { HistorySweeper } from './sweeper.ts';
import { TransitionLogWriter } from './writer.ts';
import { waitFor } from '../test-support.ts';

const rec = (name: string, to: string, over: Partial<TransitionRecord> = {}): TransitionRecord => ({
  kind: 'Pod',
  namespace: 'default',
  name,
  uid: `uid-${name}`,
  actor: '',
  time: new Date(0).toISOString(),
  from: '',
  to,
  event: 'e',
  ...over,
});

describe('transition log', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openMemoryStore();
  });
  afterEach(() => store.close());

  it('writes each record under its actor with its own revision, in the order appended', async () => {
    const writer = new TransitionLogWriter({ store });
    const seen: LogEntry[] = [];
    const watch = watchLog(store, await store.currentRevision(), { onEntries: (e) => seen.push(...e), onError: () => undefined });
    await writer.append([rec('a', 's1'), rec('a', 's2', { actor: 'container:app' }), rec('b', 's1', { namespace: '', kind: 'Node' })]);
    watch.close();
    expect(seen.map((e) => (e.type === 'transition' ? `${e.record.kind}/${e.record.name}/${e.record.actor}:${e.record.to}` : 'event'))).toEqual([
      'Pod/a/:s1',
      'Pod/a/container:app:s2',
      'Node/b/:s1',
    ]);
    const indexes = seen.map((e) => e.index);
    expect(new Set(indexes).size).toBe(3);
    expect([...indexes].sort((x, y) => x - y)).toEqual(indexes);
    expect(parseRecordKey(seen[1]!.key)).toMatchObject({ kind: 'Pod', namespace: 'default', name: 'a', type: 'transition', actor: 'container:app' });
    expect(parseRecordKey(seen[2]!.key)).toMatchObject({ kind: 'Node', namespace: '', name: 'b' });
    expect(await store.get(directoryKey({ kind: 'Pod', namespace: 'default', name: 'a' }))).toBeDefined();
    expect(writer.stats).toMatchObject({ written: 3, dropped: 0, failed: 0, pending: 0 });
  });

  it('keeps the newest perActor records of each actor', async () => {
    const writer = new TransitionLogWriter({ store, perActor: 8 });
    for (let i = 0; i < 50; i++) writer.enqueue(rec('a', `s${i}`));
    for (let i = 0; i < 3; i++) writer.enqueue(rec('a', `c${i}`, { actor: 'container:app' }));
    await writer.idle();
    // Trims run after their writes: wait for the last one.
    const trimmed = async () => (await store.count(actorPrefix({ kind: 'Pod', namespace: 'default', name: 'a' }, ''))) <= 8 + 2;
    await waitFor('the trims', trimmed);
    const { items } = await readHistory(store, { kind: 'Pod', namespace: 'default', name: 'a' });
    const own = items.filter((e) => e.record.actor === '').map((e) => e.record.to);
    expect(own.length).toBeLessThanOrEqual(8 + 2);
    expect(own.at(-1)).toBe('s49');
    expect(own).toEqual([...own].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    expect(items.filter((e) => e.record.actor === 'container:app').map((e) => e.record.to)).toEqual(['c0', 'c1', 'c2']);
    expect(writer.stats.trimmed).toBeGreaterThanOrEqual(40);
  });

  it('drops the oldest waiting records past maxPending and counts them', async () => {
    const writer = new TransitionLogWriter({ store, maxPending: 5, maxInFlight: 1 });
    for (let i = 0; i < 20; i++) writer.enqueue(rec('a', `s${i}`));
    await writer.idle();
    const { items } = await readHistory(store, { kind: 'Pod', namespace: 'default', name: 'a' });
    // The first went out at once; of the 19 that waited, the newest 5 stayed.
    expect(items.map((e) => e.record.to)).toEqual(['s0', 's15', 's16', 's17', 's18', 's19']);
    expect(writer.stats).toMatchObject({ written: 6, dropped: 14 });
  });

  it('appends Events under the object they are about, and the history holds transitions only', async () => {
    const writer = new TransitionLogWriter({ store });
    await writer.append([rec('a', 'running')]);
    await writer.appendEvent({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'a.1', namespace: 'default', resourceVersion: '7' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'a' }, reason: 'Started' });
    await writer.appendEvent({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'n.1', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n' }, reason: 'Ready' });
    const { items } = await store.list(eventsPrefix({ kind: 'Pod', namespace: 'default', name: 'a' }));
    expect(items).toHaveLength(1);
    expect(await store.count(eventsPrefix({ kind: 'Node', namespace: '', name: 'n' }))).toBe(1);
    const history = await readHistory(store, { kind: 'Pod', namespace: 'default', name: 'a' });
    expect(history.items.map((e) => e.record.to)).toEqual(['running']);
    expect(history.revision).toBeGreaterThanOrEqual(history.items[0]!.index);
  });

  it('reads every actor\'s latest transition at one revision, which a watch continues', async () => {
    const writer = new TransitionLogWriter({ store });
    await writer.append([rec('a', 's1'), rec('a', 's2'), rec('a', 'c1', { actor: 'container:app' }), rec('b', 's1')]);
    await writer.appendEvent({ kind: 'Event', metadata: { name: 'e' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'a' } });
    const { revision, latest } = await readLatestTransitions(store);
    expect([...latest.entries()].map(([k, e]) => `${k}=${e.record.to}`).sort()).toEqual([
      'Pod/default/a/=s2',
      'Pod/default/a/container:app=c1',
      'Pod/default/b/=s1',
    ]);
    expect(latest.get(actorKeyOf(rec('a', 'x')))!.index).toBeLessThanOrEqual(revision);
    const later: LogEntry[] = [];
    const watch = watchLog(store, revision, { onEntries: (e) => later.push(...e), onError: () => undefined });
    await writer.append([rec('a', 's3')]);
    watch.close();
    expect(later.map((e) => (e.type === 'transition' ? e.record.to : ''))).toEqual(['s3']);
  });

  it('the sweeper deletes the history of an object gone for the retention, not before, and keeps existing ones', async () => {
    let now = 1_000_000;
    const existing = new Set(['b']);
    const writer = new TransitionLogWriter({ store, now: () => now });
    await writer.append([rec('a', 's1'), rec('a', 'c1', { actor: 'container:app' }), rec('b', 's1')]);
    await writer.appendEvent({ kind: 'Event', metadata: { name: 'e' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'a' } });
    await writer.idle();
    const sweeper = new HistorySweeper({ store, retentionMs: 60_000, now: () => now, exists: async (o) => existing.has(o.name) });
    expect(await sweeper.sweep()).toBe(0); // a: missing since now
    now += 30_000;
    expect(await sweeper.sweep()).toBe(0);
    now += 31_000;
    expect(await sweeper.sweep()).toBe(1);
    expect(await store.count(`${RECORDS_PREFIX}Pod/default/a/`)).toBe(0);
    expect((await store.list(DIRECTORY_PREFIX)).items.map((kv) => kv.key)).toEqual([directoryKey({ kind: 'Pod', namespace: 'default', name: 'b' })]);
    expect((await readHistory(store, { kind: 'Pod', namespace: 'default', name: 'b' })).items).toHaveLength(1);
  });

  it('the default existence check reads the object\'s key', async () => {
    const writer = new TransitionLogWriter({ store });
    await writer.append([rec('gone', 's1'), rec('here', 's1')]);
    await store.create('/registry/core/pods/default/here', '{}');
    let now = 0;
    const sweeper = new HistorySweeper({ store, retentionMs: 10, now: () => now });
    await sweeper.sweep();
    now = 100;
    expect(await sweeper.sweep()).toBe(1);
    expect((await readHistory(store, { kind: 'Pod', namespace: 'default', name: 'here' })).items).toHaveLength(1);
  });
});
