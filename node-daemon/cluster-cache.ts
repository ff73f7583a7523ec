/**
 * The node's copy of the cluster objects it watches over the mesh (`/kactus/watch/1.0.0`):
 * Services, EndpointSlices and Nodes, for the service proxy, the DNS server and the overlay.
 *
 * Each channel (re)opening lists again: objects arriving before a resource's `watch.synced` go to
 * a fresh map that replaces the old one at `watch.synced`, so objects deleted while the node was
 * away disappear too. Until a resource's first sync, `synced(resource)` is false and listeners are
 * not told about it: a half-listed cache would make the proxy drop rules for services it has not
 * seen yet. After that, every event changes the map and tells the listeners which resource changed.
 */
import type { Envelope } from '../src/net/codec.ts';
import { checkMessage, type WatchableResource } from '../src/net/messages.ts';

type Json = Record<string, unknown>;
export type ClusterListener = (resource: WatchableResource) => void;

function keyOf(obj: Json): string {
  const meta = obj.metadata as { namespace?: string; name: string };
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

export class ClusterCache {
  private readonly current = new Map<WatchableResource, Map<string, Json>>();
  /** Lists in progress since the channel (re)opened, swapped in at `watch.synced`. */
  private readonly listing = new Map<WatchableResource, Map<string, Json>>();
  private readonly listeners = new Set<ClusterListener>();

  constructor(
    readonly resources: readonly WatchableResource[],
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** The channel (re)opened and asked for a list: everything until `watch.synced` is that list. */
  relist(): void {
    for (const resource of this.resources) this.listing.set(resource, new Map());
  }

  /** A watch channel message; a malformed body throws FrameError (that channel ends and reopens). */
  apply(env: Envelope): void {
    if (env.type === 'watch.synced') {
      const { resource } = checkMessage('watch.synced', env.body);
      const listed = this.listing.get(resource);
      if (!listed) return;
      this.listing.delete(resource);
      this.current.set(resource, listed);
      this.tell(resource);
      return;
    }
    if (env.type !== 'watch.event') return;
    const ev = checkMessage('watch.event', env.body);
    const listed = this.listing.get(ev.resource);
    const target = listed ?? this.current.get(ev.resource);
    if (!target) return;
    if (ev.type === 'DELETED') target.delete(keyOf(ev.object));
    else target.set(keyOf(ev.object), ev.object);
    if (!listed) this.tell(ev.resource);
  }

  synced(resource: WatchableResource): boolean {
    return this.current.has(resource);
  }

  /** Resolves true once `resource` is synced, or false after `timeoutMs` (as the kubelet's managers wait). */
  whenSynced(resource: WatchableResource, timeoutMs: number): Promise<boolean> {
    if (this.synced(resource)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        unsubscribe();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const unsubscribe = this.onChange((r) => {
        if (r === resource) done(true);
      });
    });
  }

  /** Every object of `resource` as last seen (empty before its first sync). */
  list<T = Json>(resource: WatchableResource): T[] {
    return [...(this.current.get(resource)?.values() ?? [])] as T[];
  }

  get<T = Json>(resource: WatchableResource, key: string): T | undefined {
    return this.current.get(resource)?.get(key) as T | undefined;
  }

  /** Called after each change of a synced resource; returns the unsubscribe. */
  onChange(listener: ClusterListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tell(resource: WatchableResource): void {
    for (const listener of this.listeners) {
      try {
        listener(resource);
      } catch (err) {
        // One listener's failure must not keep the change from the others.
        this.onError(err);
      }
    }
  }
}
