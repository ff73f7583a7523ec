/**
 * The objects of one kind in a namespace, as admission plugins read them (Kubernetes'
 * LimitRanger lister with its live lookup): from the informer; when it has none there, from the
 * store, remembered for 30 s, so a namespace without any does not cost a store read per request
 * while an informer that lags behind a new object is still answered.
 */
import type { ResourceInfo } from '../../api/kinds.ts';
import { prefixFor } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import type { Informer } from '../../store/informer.ts';
import type { Store } from '../../store/types.ts';
import { decodeObject } from '../codec.ts';

const LIVE_TTL_MS = 30_000;
/** Namespaces whose live answer is remembered (oldest forgotten first). */
const MAX_REMEMBERED = 10_000;

export class NamespaceObjects {
  private readonly live = new Map<string, { expires: number; items: KubeObject[] }>();

  constructor(
    private readonly info: ResourceInfo,
    private readonly store: Store,
    private readonly informer: Informer<KubeObject>,
    private readonly clock: () => number = Date.now,
  ) {}

  async list(namespace: string): Promise<KubeObject[]> {
    const prefix = prefixFor(this.info, namespace);
    const cached = this.informer.entries().filter(([key]) => key.startsWith(prefix)).map(([, obj]) => obj);
    if (cached.length > 0) return cached;
    const remembered = this.live.get(namespace);
    if (remembered && remembered.expires > this.clock()) return remembered.items;
    const { items } = await this.store.list(prefix);
    const objects = items.map(decodeObject);
    this.live.delete(namespace);
    this.live.set(namespace, { expires: this.clock() + LIVE_TTL_MS, items: objects });
    if (this.live.size > MAX_REMEMBERED) this.live.delete(this.live.keys().next().value!);
    return objects;
  }
}
