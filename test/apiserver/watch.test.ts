/**
 * Watch over HTTP: replay from 0, changes from N, 410 after compaction, bookmarks, selector
 * transitions, watch-list, timeouts, Table events, the legacy /watch/ path, client disconnects
 * and the slow-watcher cut-off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/object.ts';
import { startTestCluster, waitFor, type TestCluster } from './harness.ts';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ store: { progressIntervalMs: 50 } });
});
afterAll(async () => {
  await c?.close();
});

function configMap(name: string, labels?: Record<string, string>, data: Record<string, string> = { k: 'v' }): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

async function namespace(name: string): Promise<string> {
  await c.client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return `/api/v1/namespaces/${name}/configmaps`;
}

const names = (events: { type: string; object: KubeObject }[]): string[] => events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);

describe('watch', () => {
  it('resourceVersion=0 replays current objects as ADDED, then streams changes', async () => {
    const path = await namespace('w-replay');
    await c.client.post(path, configMap('a'));
    await c.client.post(path, configMap('b'));
    const w = await c.client.watch(`${path}?watch=1&resourceVersion=0`);
    try {
      expect(w.status).toBe(200);
      expect(w.res.headers['content-type']).toBe('application/json');
      await w.waitForCount(2);
      expect(names(w.events)).toEqual(['ADDED a', 'ADDED b']);
      await c.client.post(path, configMap('c'));
      await c.client.patch(`${path}/a`, { data: { k: 'v2' } }, 'application/merge-patch+json');
      const del = await c.client.delete(`${path}/b`);
      await w.waitForCount(5);
      expect(names(w.events)).toEqual(['ADDED a', 'ADDED b', 'ADDED c', 'MODIFIED a', 'DELETED b']);
      expect(Number(w.events[4].object.metadata?.resourceVersion)).toBeGreaterThan(Number(del.body.metadata?.resourceVersion));
    } finally {
      w.close();
    }
  });

  it('resourceVersion=N streams only changes after N', async () => {
    const path = await namespace('w-from');
    const first = await c.client.post(path, configMap('one'));
    await c.client.post(path, configMap('two'));
    const w = await c.client.watch(`${path}?watch=true&resourceVersion=${first.body.metadata?.resourceVersion}`);
    try {
      await w.waitForCount(1);
      expect(names(w.events)).toEqual(['ADDED two']);
    } finally {
      w.close();
    }
  });

  it('a compacted resourceVersion ends the watch with a 410 Expired ERROR event', async () => {
    const path = await namespace('w-compact');
    const old = await c.client.post(path, configMap('x'));
    await c.client.patch(`${path}/x`, { data: { k: '2' } }, 'application/merge-patch+json');
    await c.store.compact(await c.store.currentRevision());
    const w = await c.client.watch(`${path}?watch=1&resourceVersion=${old.body.metadata?.resourceVersion}`);
    await w.waitForEnd();
    expect(w.events).toHaveLength(1);
    expect(w.events[0].type).toBe('ERROR');
    expect(w.events[0].object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('sends BOOKMARK events when asked', async () => {
    const path = await namespace('w-bookmark');
    const w = await c.client.watch(`${path}?watch=1&allowWatchBookmarks=true&resourceVersion=0`);
    try {
      await c.client.post(path, configMap('m'));
      const bookmark = await w.waitFor((e) => e.type === 'BOOKMARK');
      expect(bookmark.object.kind).toBe('ConfigMap');
      expect(bookmark.object.apiVersion).toBe('v1');
      expect(Number(bookmark.object.metadata?.resourceVersion)).toBeGreaterThan(0);
    } finally {
      w.close();
    }
    const plain = await c.client.watch(`${path}?watch=1&resourceVersion=0`);
    try {
      await plain.waitForCount(1);
      await c.client.post(path, configMap('n'));
      await plain.waitForCount(2);
      expect(plain.events.every((e) => e.type !== 'BOOKMARK')).toBe(true);
    } finally {
      plain.close();
    }
  });

  it('selectors: an object that stops matching is DELETED, one that starts matching is ADDED', async () => {
    const path = await namespace('w-select');
    const w = await c.client.watch(`${path}?watch=1&labelSelector=app%3Da`);
    try {
      await c.client.post(path, configMap('other', { app: 'b' }));
      await c.client.post(path, configMap('sel', { app: 'a' }));
      await c.client.patch(`${path}/sel`, { metadata: { labels: { app: 'b' } } }, 'application/merge-patch+json');
      await c.client.patch(`${path}/sel`, { metadata: { labels: { app: 'a' } } }, 'application/merge-patch+json');
      await c.client.patch(`${path}/sel`, { data: { k: 'z' } }, 'application/merge-patch+json');
      await w.waitForCount(4);
      expect(names(w.events)).toEqual(['ADDED sel', 'DELETED sel', 'ADDED sel', 'MODIFIED sel']);
      // The DELETED event carries the last matching content at the event's revision.
      expect(w.events[1].object.metadata?.labels).toEqual({ app: 'a' });
      expect(Number(w.events[1].object.metadata?.resourceVersion)).toBeGreaterThan(Number(w.events[0].object.metadata?.resourceVersion));
    } finally {
      w.close();
    }
  });

  it('field selector metadata.name (what kubectl delete --wait uses) and the legacy /watch/ path', async () => {
    const path = await namespace('w-field');
    await c.client.post(path, configMap('keep'));
    await c.client.post(path, configMap('target'));
    const w = await c.client.watch(`${path}?watch=1&fieldSelector=metadata.name%3Dtarget&resourceVersion=0`);
    const legacy = await c.client.watch('/api/v1/watch/namespaces/w-field/configmaps/target');
    try {
      await w.waitForCount(1);
      await legacy.waitForCount(1);
      await c.client.delete(`${path}/keep`);
      await c.client.delete(`${path}/target`);
      await w.waitForCount(2);
      await legacy.waitForCount(2);
      expect(names(w.events)).toEqual(['ADDED target', 'DELETED target']);
      expect(names(legacy.events)).toEqual(['ADDED target', 'DELETED target']);
    } finally {
      w.close();
      legacy.close();
    }
  });

  it('watch-list: sendInitialEvents ends the replay with an annotated BOOKMARK', async () => {
    const path = await namespace('w-list');
    await c.client.post(path, configMap('i1'));
    const w = await c.client.watch(`${path}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    try {
      const end = await w.waitFor((e) => e.type === 'BOOKMARK');
      expect(names(w.events.slice(0, 1))).toEqual(['ADDED i1']);
      expect(end.object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    } finally {
      w.close();
    }
    const bad = await c.client.get(`${path}?watch=1&sendInitialEvents=true`);
    expect(bad.status).toBe(400);
  });

  it('timeoutSeconds ends the stream', async () => {
    const path = await namespace('w-timeout');
    const w = await c.client.watch(`${path}?watch=1&timeoutSeconds=1`);
    await w.waitForEnd(5000);
    expect(w.ended).toBe(true);
  });

  it('Table watch events for kubectl get -w', async () => {
    const path = await namespace('w-table');
    const w = await c.client.watch(`${path}?watch=1`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    try {
      await c.client.post(path, configMap('t1'));
      const [ev] = await w.waitForCount(1);
      expect(ev.type).toBe('ADDED');
      expect(ev.object.kind).toBe('Table');
      const rows = ev.object.rows as { cells: unknown[]; object: KubeObject }[];
      expect(rows[0].cells[0]).toBe('t1');
      expect(rows[0].object.kind).toBe('PartialObjectMetadata');
    } finally {
      w.close();
    }
  });

  it('a client disconnect closes the watch', async () => {
    // Secrets: no other test here watches them, so the gauge is this watch's alone.
    const gauge = async (): Promise<number> => (await c.server.metrics.watchers.get()).values.find((v) => v.labels.resource === 'secrets')?.value ?? 0;
    const w = await c.client.watch('/api/v1/secrets?watch=1');
    await waitFor('watch registered', async () => ((await gauge()) === 1 ? true : undefined));
    w.close();
    await waitFor('watch released', async () => ((await gauge()) === 0 ? true : undefined));
  });
});

describe('slow watchers', () => {
  let slow: TestCluster;
  beforeAll(async () => {
    slow = await startTestCluster({ server: { watchLimits: { maxPendingEvents: 20, maxPendingBytes: 256 * 1024 } } });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('a watcher that falls too far behind is disconnected', async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    const w = await slow.client.watch(`${path}?watch=1`);
    w.res.pause();
    const big = 'x'.repeat(200 * 1024);
    const closedCount = async (): Promise<number> => (await slow.server.metrics.slowWatchersClosed.get()).values.reduce((n, v) => n + v.value, 0);
    for (let i = 0; i < 200 && (await closedCount()) === 0; i++) {
      await slow.client.post(path, configMap(`big-${i}`, undefined, { big }));
    }
    expect(await closedCount()).toBe(1);
    w.res.resume();
    await w.waitForEnd();
    expect(w.events.length).toBeLessThan(200);
  }, 60_000);
});
