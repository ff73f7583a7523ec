import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pino from 'pino';
import { findKind, type ResourceInfo } from '../src/api/kinds.ts';
import { openChannel, type Channel } from '../src/net/channel.ts';
import { createMeshHost, type MeshHost } from '../src/net/host.ts';
import { PROTOCOL_WATCH } from '../src/net/protocols.ts';
import { serveClusterFeed } from '../src/master/cluster-feed.ts';
import { testCluster, waitFor, type TestCluster } from '../src/registry/test-support.ts';
import { ClusterCache } from './cluster-cache.ts';

const SERVICES = findKind('v1', 'Service') as ResourceInfo;
const NODES = findKind('v1', 'Node') as ResourceInfo;

const service = (name: string, port = 80) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { selector: { app: name }, ports: [{ port, targetPort: port }] },
});

describe('cluster feed over the mesh (/kactus/watch/1.0.0)', () => {
  let cluster: TestCluster;
  let master: MeshHost;
  let node: MeshHost;
  let stranger: MeshHost;
  let stopFeed: () => Promise<void>;

  beforeAll(async () => {
    cluster = await testCluster();
    master = await createMeshHost({ dataDir: join(cluster.dir, 'm') });
    node = await createMeshHost({ dataDir: join(cluster.dir, 'n') });
    stranger = await createMeshHost({ dataDir: join(cluster.dir, 's') });
    stopFeed = await serveClusterFeed({
      store: cluster.store,
      mesh: master,
      isAdmitted: (peer) => peer.equals(node.peerId),
      logger: pino({ level: 'silent' }),
    });
    await cluster.registry.create(SERVICES, 'default', service('before'));
  });

  afterAll(async () => {
    await stopFeed?.();
    await Promise.all([node?.stop(), stranger?.stop(), master?.stop()]);
    await cluster?.close();
  });

  const addr = () => master.getMultiaddrs()[0]!.toString();

  async function watch(cache: ClusterCache, host = node): Promise<Channel> {
    const ch = await openChannel(host, addr(), PROTOCOL_WATCH, (env) => cache.apply(env));
    cache.relist();
    await ch.send('watch.start', { resources: cache.resources });
    return ch;
  }

  it('lists, marks the list synced, then follows changes', async () => {
    const cache = new ClusterCache(['services', 'nodes']);
    const changes: string[] = [];
    cache.onChange((r) => changes.push(r));
    const ch = await watch(cache);
    await waitFor('both lists synced', () => cache.synced('services') && cache.synced('nodes'), 5000);
    expect(cache.list('services').map((s) => (s.metadata as { name: string }).name)).toContain('before');
    expect(cache.list('nodes')).toEqual([]);

    await cluster.registry.create(SERVICES, 'default', service('after'));
    await waitFor('the new service', () => cache.get('services', 'default/after') !== undefined, 5000);
    await cluster.registry.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    await waitFor('the new node', () => cache.get('nodes', 'n1') !== undefined, 5000);
    await cluster.registry.delete(SERVICES, 'default', 'after');
    await waitFor('the service deleted', () => cache.get('services', 'default/after') === undefined, 5000);
    expect(changes).toContain('services');
    expect(changes).toContain('nodes');
    await ch.close();
  });

  it('a new channel lists again: what was deleted meanwhile is gone, nothing is doubled', async () => {
    const cache = new ClusterCache(['services']);
    const first = await watch(cache);
    await cluster.registry.create(SERVICES, 'default', service('gone-later'));
    await waitFor('gone-later listed', () => cache.get('services', 'default/gone-later') !== undefined, 5000);
    await first.close();
    await cluster.registry.delete(SERVICES, 'default', 'gone-later');
    await cluster.registry.create(SERVICES, 'default', service('made-meanwhile'));

    // Until the new list is synced, the cache keeps answering from the old one.
    const second = await watch(cache);
    expect(cache.synced('services')).toBe(true);
    await waitFor('the new list', () => cache.get('services', 'default/made-meanwhile') !== undefined, 5000);
    expect(cache.get('services', 'default/gone-later')).toBeUndefined();
    const names = cache.list('services').map((s) => (s.metadata as { name: string }).name);
    expect(new Set(names).size).toBe(names.length);
    await second.close();
  });

  it('resets the stream of a peer that was never admitted', async () => {
    const cache = new ClusterCache(['services']);
    const ch = await openChannel(stranger, addr(), PROTOCOL_WATCH, (env) => cache.apply(env)).catch((err: Error) => err);
    if (ch instanceof Error) return; // refused at open: as good
    cache.relist();
    await ch.send('watch.start', { resources: ['services'] }).catch(() => undefined);
    await ch.closed; // the master reset it: the channel ends without a list
    expect(cache.synced('services')).toBe(false);
  });

  it('a malformed watch.start ends that channel only', async () => {
    const ch = await openChannel(node, addr(), PROTOCOL_WATCH, () => {});
    await ch.send('watch.start', { resources: ['pods'] });
    expect(await ch.closed).toBeDefined();
    // The feed still serves others.
    const cache = new ClusterCache(['services']);
    const ok = await watch(cache);
    await waitFor('services synced', () => cache.synced('services'), 5000);
    await ok.close();
  });

  it('closes the channel of a node that falls too far behind instead of queueing without bound', async () => {
    const small = await createMeshHost({ dataDir: join(cluster.dir, 'small') });
    const stop = await serveClusterFeed({ store: cluster.store, mesh: small, isAdmitted: () => true, logger: pino({ level: 'silent' }), maxPending: 2 });
    try {
      for (let i = 0; i < 5; i++) await cluster.registry.create(SERVICES, 'default', service(`many-${i}`));
      const ch = await openChannel(node, small.getMultiaddrs()[0]!.toString(), PROTOCOL_WATCH, () => {});
      await ch.send('watch.start', { resources: ['services'] });
      await ch.closed; // ended by the master: more than 2 messages were due at once
    } finally {
      await stop();
      await small.stop();
    }
  });
});
