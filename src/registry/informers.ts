/**
 * Informers over API objects in the store, decoded as the Registry stores them, shared the way
 * client-go's SharedInformerFactory shares them: every component of one process that watches a
 * kind over the same Store gets a view on ONE informer for that kind (one list, one store watch,
 * one decoded cache), instead of a copy each. On the elected master the gateway, the scheduler
 * and six controllers watch Pods; they now share one Pod cache.
 *
 * A view attaches its handlers when it starts (they get onAdd for everything already cached,
 * then every change) and detaches them when it stops. The shared informer starts with its first
 * started view and stops with its last, so a master that loses the lease and stops its
 * controllers also drops the caches only they used.
 */
import type { ResourceInfo } from '../api/kinds.ts';
import { prefixFor } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import { decodeObject } from './codec.ts';
import { Informer, type InformerHandlers } from '../store/informer.ts';
import type { Store } from '../store/types.ts';
import { underlyingStore } from '../store/fenced.ts';

/** What components read from an informer: start/stop, the cache, handlers. */
export type ObjectInformer = Pick<
  Informer<KubeObject>,
  'start' | 'stop' | 'get' | 'list' | 'entries' | 'addHandlers'
>;

interface Shared {
  informer: Informer<KubeObject>;
  users: number;
}

/** One process's shared informers over one store. */
class SharedInformers {
  private readonly byPrefix = new Map<string, Shared>();

  constructor(private readonly store: Store) {}

  acquire(prefix: string): Informer<KubeObject> {
    let shared = this.byPrefix.get(prefix);
    if (!shared) {
      shared = { informer: new Informer<KubeObject>({ store: this.store, prefix, decode: decodeObject }), users: 0 };
      this.byPrefix.set(prefix, shared);
    }
    shared.users++;
    return shared.informer;
  }

  release(prefix: string): void {
    const shared = this.byPrefix.get(prefix);
    if (!shared || --shared.users > 0) return;
    shared.informer.stop();
    this.byPrefix.delete(prefix);
  }

  /** How many shared informers run (tests). */
  get size(): number {
    return this.byPrefix.size;
  }

  /** How many started views share the informer on `prefix` (tests). */
  users(prefix: string): number {
    return this.byPrefix.get(prefix)?.users ?? 0;
  }
}

const factories = new WeakMap<Store, SharedInformers>();

function factoryFor(view: Store): SharedInformers {
  // The leader's fenced view (src/store/fenced.ts) reads what its store reads: one cache for both.
  const store = underlyingStore(view);
  let factory = factories.get(store);
  if (!factory) factories.set(store, (factory = new SharedInformers(store)));
  return factory;
}

/** How many shared informers run over `store` (tests). */
export function sharedInformerCount(store: Store): number {
  return factories.get(store)?.size ?? 0;
}

/** How many started views share the one informer on every object of `info` over `store` (tests). */
export function sharedInformerUsers(store: Store, info: ResourceInfo): number {
  return factories.get(store)?.users(prefixFor(info)) ?? 0;
}

class InformerView implements ObjectInformer {
  private readonly handlers: InformerHandlers<KubeObject>[] = [];
  private informer: Informer<KubeObject> | undefined;
  private stopped = false;
  private starting: Promise<void> | undefined;
  private fanoutAttached = false;
  /** The one handler this view puts on the shared informer; fans out to the view's handlers. */
  private readonly fanout: InformerHandlers<KubeObject> = {
    onAdd: (obj, key) => this.each((h) => h.onAdd?.(obj, key)),
    onUpdate: (old, obj, key) => this.each((h) => h.onUpdate?.(old, obj, key)),
    onDelete: (obj, key) => this.each((h) => h.onDelete?.(obj, key)),
  };

  constructor(
    private readonly factory: SharedInformers,
    private readonly prefix: string,
    handlers?: InformerHandlers<KubeObject>,
  ) {
    if (handlers) this.handlers.push(handlers);
  }

  addHandlers(h: InformerHandlers<KubeObject>): void {
    this.handlers.push(h);
    if (this.fanoutAttached) for (const [key, obj] of this.informer!.entries()) call(() => h.onAdd?.(obj, key));
  }

  start(): Promise<void> {
    this.starting ??= this.attach();
    return this.starting;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.informer) return;
    if (this.fanoutAttached) this.informer.removeHandlers(this.fanout);
    this.fanoutAttached = false;
    this.factory.release(this.prefix);
  }

  get(key: string): KubeObject | undefined {
    return this.informer?.get(key);
  }

  list(): KubeObject[] {
    return this.informer?.list() ?? [];
  }

  entries(): [string, KubeObject][] {
    return this.informer?.entries() ?? [];
  }

  private async attach(): Promise<void> {
    if (this.stopped) return;
    const informer = this.factory.acquire(this.prefix);
    this.informer = informer;
    await informer.start();
    // addHandlers replays the cache to the fanout, so nothing listed before this moment is missed.
    if (this.stopped) return;
    informer.addHandlers(this.fanout);
    this.fanoutAttached = true;
  }

  private each(fn: (h: InformerHandlers<KubeObject>) => void): void {
    for (const h of this.handlers) call(() => fn(h));
  }
}

/** A handler that throws must not keep the view's other handlers from hearing the event. */
function call(fn: () => void): void {
  try {
    fn();
  } catch {
    // As Informer does without onHandlerError: the failing handler's own retry logic owns it.
  }
}

/** A view on the shared informer of every object of `info` (or of one namespace's) over `store`. Not started. */
export function objectInformer(store: Store, info: ResourceInfo, handlers?: InformerHandlers<KubeObject>, namespace?: string): ObjectInformer {
  return new InformerView(factoryFor(store), prefixFor(info, namespace), handlers);
}
