import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeConformance } from '../conformance.ts';
import { openEmbeddedStore, openMemoryStore } from './index.ts';

storeConformance('embedded (WAL on disk)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kactus-embedded-'));
  const store = await openEmbeddedStore(dir, { progressIntervalMs: 100 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

storeConformance('embedded (memory only)', async () => {
  const store = await openMemoryStore({ progressIntervalMs: 100 });
  return { store, cleanup: () => store.close() };
});
