/** Informers over API objects in the store, decoded as the Registry stores them. */
import type { ResourceInfo } from '../api/kinds.ts';
import { prefixFor } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import { decodeObject } from '../apiserver/registry/codec.ts';
import { Informer, type InformerHandlers } from '../store/informer.ts';
import type { Store } from '../store/types.ts';

/** An informer on every object of `info` (all namespaces, or one). Not started. */
export function objectInformer(store: Store, info: ResourceInfo, handlers?: InformerHandlers<KubeObject>, namespace?: string): Informer<KubeObject> {
  return new Informer<KubeObject>({ store, prefix: prefixFor(info, namespace), decode: decodeObject, handlers });
}
