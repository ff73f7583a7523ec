/** Shared test fixtures for the master and scheduler tests: a temp dir, a real embedded store and Registry, a deadline wait. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type RegistryOptions } from './registry.ts';
import { SYSTEM_NAMESPACES } from '../api/namespaces.ts';
import { openEmbeddedStore } from '../store/embedded/index.ts';
import type { Store } from '../store/types.ts';

export interface TestCluster {
  dir: string;
  store: Store;
  registry: Registry;
  close(): Promise<void>;
}

/** A Registry over a real embedded store in a temp dir, with the system namespaces; `opts` adds Registry options (admission). */
export async function testCluster(opts: Omit<RegistryOptions, 'store'> = {}): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kactus-master-'));
  const store = await openEmbeddedStore(join(dir, 'store'));
  const registry = new Registry({ ...opts, store });
  await registry.start(SYSTEM_NAMESPACES);
  return {
    dir,
    store,
    registry,
    async close() {
      registry.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until a condition holds (test/support/wait.ts). */
export { waitFor } from '../../test/support/wait.ts';
