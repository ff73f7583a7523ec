import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordWatch, waitFor } from '../conformance.ts';
import { CompactedError } from '../errors.ts';
import type { Store } from '../types.ts';
import { CorruptWalError, DataDirLockedError, openEmbeddedStore, type EmbeddedOptions } from './index.ts';
import { tempDir, type TempDir } from './test-support.ts';

describe('embedded durability and recovery', () => {
  let dir: TempDir;
  const open: Store[] = [];

  async function reopen(opts: EmbeddedOptions = {}): Promise<Store> {
    const s = await openEmbeddedStore(dir.path, { progressIntervalMs: 0, ...opts });
    open.push(s);
    return s;
  }
  const files = async () => (await readdir(dir.path)).sort();
  const segments = async () => (await files()).filter((f) => f.startsWith('wal-'));

  beforeEach(async () => (dir = await tempDir()));
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await dir.remove();
  });

  it('restores keys, versions, revisions and txns after a clean close', async () => {
    const s1 = await reopen();
    const a = await s1.create('/a', '1');
    await s1.update('/a', '2', a.modRevision);
    await s1.create('/b', 'b');
    await s1.delete('/b');
    await s1.txn([], [
      { type: 'put', key: '/c', value: 'c' },
      { type: 'put', key: '/d', value: 'd' },
    ]);
    const before = await s1.list('/');
    await s1.close();

    const s2 = await reopen();
    expect(await s2.list('/')).toEqual(before);
    expect(await s2.currentRevision()).toBe(before.revision);
    expect((await s2.create('/e', 'e')).modRevision).toBe(before.revision + 1);
  });

  it('snapshots every N records, removes old segments, and recovers from snapshot + tail', async () => {
    const s1 = await reopen({ snapshotEveryRecords: 10 });
    for (let i = 0; i < 55; i++) await s1.create(`/k/${String(i).padStart(3, '0')}`, String(i));
    await waitFor(async () => (await files()).some((f) => f.startsWith('snap-')), 'a snapshot file');
    const before = await s1.list('/');
    await s1.close();
    const names = await files();
    expect(names.filter((f) => f.startsWith('snap-'))).toHaveLength(1);
    expect((await segments()).length).toBeLessThanOrEqual(2);
    expect(names.some((f) => f.endsWith('.tmp'))).toBe(false);

    const s2 = await reopen({ snapshotEveryRecords: 10 });
    expect(await s2.list('/')).toEqual(before);
    expect(before.items).toHaveLength(55);
  });

  it('drops a torn tail, keeps everything before it, and appends cleanly afterwards', async () => {
    const s1 = await reopen();
    for (let i = 0; i < 5; i++) await s1.create(`/k/${i}`, String(i));
    await s1.close();
    const last = join(dir.path, (await segments()).at(-1)!);
    const wholeSize = (await stat(last)).size;
    expect(wholeSize).toBeGreaterThan(0);
    // Half a frame: a length header promising more bytes than follow.
    const torn = Buffer.alloc(12);
    torn.writeUInt32LE(100, 0);
    await appendFile(last, torn);

    const s2 = await reopen();
    expect(await s2.count('/k/')).toBe(5);
    expect(await s2.currentRevision()).toBe(5);
    // Recovery cut the segment back to its last whole frame.
    expect((await stat(last)).size).toBe(wholeSize);
    expect((await s2.create('/k/5', '5')).modRevision).toBe(6);
    await s2.close();
    open.length = 0;

    const s3 = await reopen();
    expect(await s3.count('/k/')).toBe(6);
  });

  it('refuses a WAL damaged before its last segment', async () => {
    const s1 = await reopen();
    await s1.create('/a', '1');
    await s1.close();
    const s2 = await reopen();
    await s2.create('/b', '1');
    await s2.close();
    open.length = 0;
    const segs = await segments();
    expect(segs.length).toBeGreaterThanOrEqual(2);
    const first = join(dir.path, segs[0]!);
    const bytes = await readFile(first);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(first, bytes);
    await expect(openEmbeddedStore(dir.path)).rejects.toBeInstanceOf(CorruptWalError);
  });

  it('never reuses a revision after restarts, even with no writes between them', async () => {
    let last = 0;
    for (let round = 0; round < 4; round++) {
      const s = await reopen();
      expect(await s.currentRevision()).toBe(last);
      last = (await s.create(`/r/${round}`, 'x')).modRevision;
      await s.close();
      open.length = 0;
    }
    expect(last).toBe(4);
  });

  it('replays WAL events for watches after restart; history before the snapshot is compacted', async () => {
    const s1 = await reopen({ snapshotEveryRecords: 4 });
    for (let i = 0; i < 4; i++) await s1.create(`/w/${i}`, String(i));
    await waitFor(async () => (await files()).some((f) => f.startsWith('snap-')), 'a snapshot');
    await s1.create('/w/after-1', 'x');
    await s1.create('/w/after-2', 'x');
    await s1.close();

    const s2 = await reopen({ snapshotEveryRecords: 1000 });
    const replay = recordWatch(s2, '/w/', { fromRevision: 4 });
    await waitFor(() => replay.events.length >= 2, 'replayed WAL events');
    expect(replay.events.map((e) => e.kv.key)).toEqual(['/w/after-1', '/w/after-2']);
    const tooOld = recordWatch(s2, '/w/', { fromRevision: 2 });
    await waitFor(() => tooOld.errors.length >= 1, 'CompactedError');
    expect(tooOld.errors[0]).toBeInstanceOf(CompactedError);
    replay.watch.close();
  });

  it('remembers an explicit compaction across restart', async () => {
    const s1 = await reopen();
    for (let i = 0; i < 6; i++) await s1.create(`/c/${i}`, String(i));
    await s1.compact(4);
    await s1.close();
    const s2 = await reopen();
    const old = recordWatch(s2, '/c/', { fromRevision: 2 });
    await waitFor(() => old.errors.length >= 1, 'CompactedError');
    expect((old.errors[0] as CompactedError).compactRevision).toBe(4);
    const ok = recordWatch(s2, '/c/', { fromRevision: 4 });
    await waitFor(() => ok.events.length >= 2, 'events 5 and 6');
    expect(ok.events.map((e) => e.kv.modRevision)).toEqual([5, 6]);
    ok.watch.close();
  });

  it('lets one store at a time open a dir', async () => {
    await reopen();
    await expect(openEmbeddedStore(dir.path)).rejects.toBeInstanceOf(DataDirLockedError);
  });
});
