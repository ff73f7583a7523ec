/**
 * The cluster feed: the master's end of `/kactus/watch/1.0.0`. A node daemon's proxy, DNS server
 * and overlay need Services, EndpointSlices and Nodes, as kube-proxy and CoreDNS watch them from
 * the API server; node daemons reach cluster state only through the mesh (DESIGN.md §2), so the
 * master serves them over a channel from its shared informers.
 *
 * Per channel: the node asks `watch.start {resources}`; for each resource the master sends every
 * cached object as `watch.event ADDED`, then `watch.synced`, then every change. A node that
 * reconnects asks again and gets a fresh list, so a lost message delays and never corrupts.
 *
 * Secrets and ConfigMaps are the node's business only where its pods use them: with a node graph
 * (src/registry/authorization/node-graph.ts, the Node authorizer's), a node is sent only those its
 * pods reference — ADDED when a pod of the node starts to reference one (or it is created while
 * referenced), DELETED when the last such pod goes — never every Secret of the cluster. Claims and
 * PersistentVolumes are still sent whole: the node's local-path volume keeper needs volumes no pod
 * uses yet (storage/local-volumes.ts), and they hold no secret data.
 *
 * Messages to one node are sent in order, one at a time (the stream's window is the backpressure).
 * A node that falls MAX_PENDING_WATCH_EVENTS behind has its channel closed: it reconnects and lists
 * again, and the master's memory for it stays bounded.
 */
import type { PeerId } from '@libp2p/interface';
import type { Logger } from 'pino';
import { findResource, type ResourceInfo } from '../api/kinds.ts';
import type { KubeObject } from '../api/object.ts';
import { serveChannel, type Channel, type MessageHandler } from '../net/channel.ts';
import type { MeshHost } from '../net/host.ts';
import { checkMessage, type WatchableResource, type WatchEvent } from '../net/messages.ts';
import { MAX_PENDING_WATCH_EVENTS, PROTOCOL_WATCH } from '../net/protocols.ts';
import type { Store } from '../store/types.ts';
import { objectInformer, type ObjectInformer } from '../registry/informers.ts';
import { objectKey } from '../api/metadata.ts';
import type { NodeGraph, PodReferenceResource } from '../registry/authorization/node-graph.ts';

/** What a node gets only as far as its pods reference them. */
const SCOPED: ReadonlySet<WatchableResource> = new Set<WatchableResource>(['secrets', 'configmaps']);

const GROUPS: Record<WatchableResource, [group: string, version: string]> = {
  services: ['', 'v1'],
  endpointslices: ['discovery.k8s.io', 'v1'],
  nodes: ['', 'v1'],
  configmaps: ['', 'v1'],
  secrets: ['', 'v1'],
  persistentvolumeclaims: ['', 'v1'],
  persistentvolumes: ['', 'v1'],
};

export interface ClusterFeedOptions {
  store: Store;
  mesh: MeshHost;
  /** Only admitted node daemons may watch. */
  isAdmitted(peer: PeerId): boolean | Promise<boolean>;
  logger: Logger;
  /** Messages queued per node before its channel is closed (tests lower it). */
  maxPending?: number;
  /** Scopes Secrets and ConfigMaps to what each node's pods use; without it they are sent whole. */
  graph?: Pick<NodeGraph, 'referenced' | 'subscribe'>;
  /** The node an admitted peer is (asked after `isAdmitted` allowed it); needed with `graph`. */
  nodeOf?(peer: PeerId): string | undefined;
}

/** One node's watch channel: its informer views and its ordered, bounded send queue. */
class FeedSession {
  private readonly views: ObjectInformer[] = [];
  private sending: Promise<void> = Promise.resolve();
  private pending = 0;
  private closed = false;
  /** Per scoped resource: the `namespace/name`s this node may see, and the view they come from. */
  private readonly scoped = new Map<WatchableResource, { visible: Set<string>; view: ObjectInformer; info: ResourceInfo }>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly channel: Channel,
    private readonly opts: ClusterFeedOptions,
    /** The node this channel serves (undefined: no scoping, e.g. without a graph). */
    private readonly node: string | undefined,
  ) {
    void channel.closed.then(() => this.stop());
    if (node !== undefined && opts.graph) {
      this.unsubscribe = opts.graph.subscribe({ onReferencesChanged: (n, resource) => n === node && this.rescope(resource) });
    }
  }

  async start(resources: readonly WatchableResource[]): Promise<void> {
    for (const resource of new Set(resources)) {
      const info = findResource(GROUPS[resource][0], GROUPS[resource][1], resource);
      if (!info) {
        // A kind this master does not serve: say it is synced (empty) so the node does not wait.
        this.send({ type: 'watch.synced', body: { resource } });
        continue;
      }
      await this.watch(resource, info);
    }
  }

  stop(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    for (const view of this.views.splice(0)) view.stop();
  }

  private async watch(resource: WatchableResource, info: ResourceInfo): Promise<void> {
    const event = (type: WatchEvent['type'], object: KubeObject): void => this.send({ type: 'watch.event', body: { resource, type, object } });
    const graph = this.opts.graph;
    // Scoped: a node with no known name (never without a graph) sees none of them.
    const scope = SCOPED.has(resource) && graph ? new Set(this.node === undefined ? [] : graph.referenced(this.node, resource as PodReferenceResource)) : undefined;
    const shown = (obj: KubeObject): boolean => scope === undefined || scope.has(`${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`);
    const view = objectInformer(this.opts.store, info, {
      onAdd: (obj) => shown(obj) && event('ADDED', obj),
      onUpdate: (_old, obj) => shown(obj) && event('MODIFIED', obj),
      onDelete: (obj) => shown(obj) && event('DELETED', obj),
    });
    this.views.push(view);
    if (scope) this.scoped.set(resource, { visible: scope, view, info });
    // start() resolves after the cache was replayed to the handlers: the list is queued.
    await view.start();
    this.send({ type: 'watch.synced', body: { resource } });
  }

  /** The node's pods now reference other objects of `resource`: send what it may now see, withdraw what it may not. */
  private rescope(resource: PodReferenceResource): void {
    const scoped = this.scoped.get(resource as WatchableResource);
    if (!scoped || this.closed || this.node === undefined || !this.opts.graph) return;
    const next = this.opts.graph.referenced(this.node, resource);
    const before = new Set(scoped.visible);
    scoped.visible.clear();
    for (const key of next) scoped.visible.add(key);
    const objectAt = (key: string): KubeObject | undefined => {
      const slash = key.indexOf('/');
      return scoped.view.get(objectKey(scoped.info, key.slice(0, slash), key.slice(slash + 1)));
    };
    for (const key of next) {
      const obj = before.has(key) ? undefined : objectAt(key);
      if (obj) this.send({ type: 'watch.event', body: { resource, type: 'ADDED', object: obj } });
    }
    for (const key of before) {
      const obj = next.has(key) ? undefined : objectAt(key);
      if (obj) this.send({ type: 'watch.event', body: { resource, type: 'DELETED', object: obj } });
    }
  }

  private send(msg: { type: string; body: unknown }): void {
    if (this.closed) return;
    if (++this.pending > (this.opts.maxPending ?? MAX_PENDING_WATCH_EVENTS)) {
      this.opts.logger.warn({ peer: this.channel.peer.toString() }, 'node watch fell too far behind; closing it (the node lists again)');
      this.stop();
      void this.channel.close().catch(() => undefined);
      return;
    }
    this.sending = this.sending.then(async () => {
      this.pending--;
      if (this.closed) return;
      await this.channel.send(msg.type, msg.body).catch(() => this.stop());
    });
  }
}

/** Serve `/kactus/watch/1.0.0`; returns a function that stops serving and ends every session. */
export async function serveClusterFeed(opts: ClusterFeedOptions): Promise<() => Promise<void>> {
  const sessions = new Set<FeedSession>();
  const unhandle = await serveChannel(opts.mesh, PROTOCOL_WATCH, {
    isAdmitted: opts.isAdmitted,
    onChannel: (channel): MessageHandler => {
      const session = new FeedSession(channel, opts, opts.nodeOf?.(channel.peer));
      sessions.add(session);
      void channel.closed.then(() => sessions.delete(session));
      let started = false;
      return async (env) => {
        if (env.type !== 'watch.start') return;
        const { resources } = checkMessage('watch.start', env.body);
        if (started) return; // one start per channel: a second would double every event
        started = true;
        await session.start(resources);
      };
    },
  });
  return async () => {
    await unhandle();
    for (const session of sessions) session.stop();
    sessions.clear();
  };
}
