/** get: one object by name, with its store entry (the revision CAS writes compare against). */
import type { ResourceInfo } from '../api/kinds.ts';
import { objectKey } from '../api/metadata.ts';
import type { KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import { fromStoreError } from './store-errors.ts';
import type { KeyValue } from '../store/types.ts';
import { decodeObject } from './codec.ts';
import type { RegistryContext } from './context.ts';

export interface Current {
  kv: KeyValue;
  object: KubeObject;
}

/** The stored object and its entry, or undefined when absent. */
export async function readOptional(ctx: RegistryContext, info: ResourceInfo, namespace: string | undefined, name: string): Promise<Current | undefined> {
  let kv: KeyValue | undefined;
  try {
    kv = await ctx.store.get(objectKey(info, namespace, name));
  } catch (err) {
    throw fromStoreError(err, info, name);
  }
  return kv ? { kv, object: decodeObject(kv) } : undefined;
}

/** The stored object and its entry; 404 when absent. */
export async function readCurrent(ctx: RegistryContext, info: ResourceInfo, namespace: string | undefined, name: string): Promise<Current> {
  const current = await readOptional(ctx, info, namespace, name);
  if (!current) throw ApiError.notFound(info, name);
  return current;
}
