import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from './embedded/index.ts';
import { Informer } from './informer.ts';
import type { Store } from './types.ts';
import { waitFor } from '../../test/support/wait.ts';


describe('Informer', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-inf-'));
    store = await openEmbeddedStore(dir);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists, then follows adds, updates and deletes in order', async () => {
    await store.create('/p/a', '1');
    const log: string[] = [];
    const inf = new Informer({
      store,
      prefix: '/p/',
      decode: (kv) => kv.value,
      handlers: {
        onAdd: (o, k) => log.push(`add ${k}=${o}`),
        onUpdate: (a, b, k) => log.push(`update ${k} ${a}->${b}`),
        onDelete: (o, k) => log.push(`delete ${k}=${o}`),
      },
    });
    await inf.start();
    expect(log).toEqual(['add /p/a=1']);
    const b = await store.create('/p/b', '2');
    await store.update('/p/b', '3', b.modRevision);
    await store.delete('/p/a');
    await store.create('/q/ignored', 'x');
    await waitFor('the condition', () => log.length === 4);
    expect(log).toEqual(['add /p/a=1', 'add /p/b=2', 'update /p/b 2->3', 'delete /p/a=1']);
    expect(inf.list()).toEqual(['3']);
    inf.stop();
  });

  it('re-lists after the watch fails and reports what changed meanwhile', async () => {
    const a = await store.create('/p/a', '1');
    await store.create('/p/b', '1');
    const log: string[] = [];
    let failWatch: ((err: Error) => void) | undefined;
    // A store whose first watch we can fail by hand, as a compaction or a restart would.
    const flaky: Store = Object.create(store, {
      watch: {
        value: (prefix: string, opts: Parameters<Store['watch']>[1], handler: Parameters<Store['watch']>[2]) => {
          if (!failWatch) {
            failWatch = handler.onError;
            return { close() {} };
          }
          return store.watch(prefix, opts, handler);
        },
      },
    });
    const inf = new Informer({
      store: flaky,
      prefix: '/p/',
      decode: (kv) => kv.value,
      relistDelayMs: 1,
      handlers: {
        onAdd: (o, k) => log.push(`add ${k}=${o}`),
        onUpdate: (x, y, k) => log.push(`update ${k} ${x}->${y}`),
        onDelete: (o, k) => log.push(`delete ${k}=${o}`),
      },
    });
    await inf.start();
    log.length = 0;
    // Changes the dead watch never delivers:
    await store.update('/p/a', '2', a.modRevision);
    await store.delete('/p/b');
    await store.create('/p/c', '1');
    failWatch!(new Error('compacted'));
    await waitFor('the condition', () => log.length === 3);
    expect(log.sort()).toEqual(['add /p/c=1', 'delete /p/b=1', 'update /p/a 1->2']);
    // And the new watch is live:
    await store.create('/p/d', '1');
    await waitFor('the condition', () => log.length === 4);
    inf.stop();
  });
});
