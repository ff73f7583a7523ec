import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { objectKey } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import { objectInformer, sharedInformerCount } from './informers.ts';
import { testCluster, waitFor, type TestCluster } from './test-support.ts';

const CONFIGMAPS = findKind('v1', 'ConfigMap') as ResourceInfo;
let c: TestCluster;

beforeEach(async () => {
  c = await testCluster();
});
afterEach(async () => {
  await c.close();
});

const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { a: '1' } });
const names = (seen: KubeObject[]): string[] => seen.map((o) => o.metadata?.name ?? '').sort();

describe('shared object informers', () => {
  it('views of one kind over one store share one informer, and each hears every object', async () => {
    await c.registry.create(CONFIGMAPS, 'default', cm('before'));
    const a: KubeObject[] = [];
    const b: KubeObject[] = [];
    const viewA = objectInformer(c.store, CONFIGMAPS, { onAdd: (o) => a.push(o) });
    const viewB = objectInformer(c.store, CONFIGMAPS, { onAdd: (o) => b.push(o) });
    await Promise.all([viewA.start(), viewB.start()]);
    expect(sharedInformerCount(c.store)).toBe(1);
    expect(names(a)).toEqual(['before']);
    expect(names(b)).toEqual(['before']);

    await c.registry.create(CONFIGMAPS, 'default', cm('after'));
    await waitFor('both views to hear the new object', () => a.length === 2 && b.length === 2);
    expect(viewB.get(objectKey(CONFIGMAPS, 'default', 'after'))?.metadata?.name).toBe('after');
    viewA.stop();
    viewB.stop();
  });

  it('a view started late is replayed the cache; a stopped view hears nothing more', async () => {
    const first = objectInformer(c.store, CONFIGMAPS);
    await first.start();
    await c.registry.create(CONFIGMAPS, 'default', cm('one'));
    await waitFor('the first view to cache one', () => first.list().length === 1);

    const late: KubeObject[] = [];
    const lateView = objectInformer(c.store, CONFIGMAPS, { onAdd: (o) => late.push(o) });
    await lateView.start();
    expect(names(late)).toEqual(['one']);

    lateView.stop();
    await c.registry.create(CONFIGMAPS, 'default', cm('two'));
    await waitFor('the first view to cache two', () => first.list().length === 2);
    expect(names(late)).toEqual(['one']);
    first.stop();
  });

  it('the shared informer stops with its last view and starts afresh with the next', async () => {
    const v1 = objectInformer(c.store, CONFIGMAPS);
    const v2 = objectInformer(c.store, CONFIGMAPS);
    await v1.start();
    await v2.start();
    v1.stop();
    expect(sharedInformerCount(c.store)).toBe(1);
    v2.stop();
    expect(sharedInformerCount(c.store)).toBe(0);

    await c.registry.create(CONFIGMAPS, 'default', cm('later'));
    const v3 = objectInformer(c.store, CONFIGMAPS);
    await v3.start();
    expect(v3.list().map((o) => o.metadata?.name)).toEqual(['later']);
    v3.stop();
  });

  it('a handler that throws does not keep the other handlers of its view from the event', async () => {
    const seen: string[] = [];
    const view = objectInformer(c.store, CONFIGMAPS, {
      onAdd: () => {
        throw new Error('boom');
      },
    });
    view.addHandlers({ onAdd: (o) => seen.push(o.metadata?.name ?? '') });
    await view.start();
    await c.registry.create(CONFIGMAPS, 'default', cm('x'));
    await waitFor('the second handler to hear it', () => seen.length === 1);
    view.stop();
  });
});
