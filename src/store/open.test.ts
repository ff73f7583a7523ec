import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { etcdTestsEnabled, startEtcdCluster } from '../../test/support/etcd.ts';
import { InvalidStoreUriError, openStore } from './open.ts';

describe('openStore', () => {
  it.each(['mysql://x', 'etcd://', 'etcd://,', 'embedded://', '/data'])('rejects %s', async (uri) => {
    await expect(openStore(uri)).rejects.toBeInstanceOf(InvalidStoreUriError);
  });

  it('opens embedded://DIR relative to the current directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kactus-open-'));
    try {
      const store = await openStore(`embedded://${relative(process.cwd(), join(dir, 'data'))}`);
      const kv = await store.create('/k', 'v');
      await store.close();
      const reopened = await openStore(`embedded://${join(dir, 'data')}`);
      expect(await reopened.get('/k')).toEqual(kv);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.runIf(etcdTestsEnabled())('opens etcd://host:port,...', async () => {
    const cluster = await startEtcdCluster({ members: 1 });
    try {
      const store = await openStore(cluster.uri);
      const kv = await store.create('/k', 'v');
      expect(await store.get('/k')).toEqual(kv);
      await store.close();
    } finally {
      await cluster.stop();
    }
  });
});
