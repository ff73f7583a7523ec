import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshotPath } from './files.ts';
import { Keyspace } from './keyspace.ts';
import { readSnapshot, writeSnapshot } from './snapshot.ts';
import { tempDir, type TempDir } from './test-support.ts';

describe('snapshot files', () => {
  let dir: TempDir;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => dir.remove());

  function sampleKeyspace(keys: number): Keyspace {
    const ks = new Keyspace();
    ks.apply({ type: 'grant', id: 7, ttlSeconds: 30 });
    for (let i = 0; i < keys; i++) ks.apply({ type: 'write', rev: i + 1, changes: [{ key: `/k/${i}`, value: `v${i}`, lease: i % 2 ? 7 : 0 }] });
    ks.apply({ type: 'compact', rev: 3 });
    return ks;
  }

  it('round-trips keys (across several frames), leases, revisions and lease ids', async () => {
    const ks = sampleKeyspace(4500);
    await writeSnapshot(dir.path, 3, ks.image(), true);
    const image = await readSnapshot(snapshotPath(dir.path, 3));
    expect(image).toEqual(ks.image());
  });

  it('rejects a truncated or bit-flipped snapshot', async () => {
    await writeSnapshot(dir.path, 1, sampleKeyspace(3000).image(), true);
    const path = snapshotPath(dir.path, 1);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 10));
    expect(await readSnapshot(path)).toBeUndefined();
    const flipped = Buffer.from(bytes);
    flipped[100] = flipped[100]! ^ 0x01;
    await writeFile(path, flipped);
    expect(await readSnapshot(path)).toBeUndefined();
  });
});
