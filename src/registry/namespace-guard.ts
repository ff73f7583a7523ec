/**
 * Kubernetes' NamespaceLifecycle admission for creates: the namespace must exist
 * (404 `namespaces "x" not found`) and must not be terminating (403 Forbidden).
 */
import { findResource, type ResourceInfo } from '../api/kinds.ts';
import { objectKey } from '../api/metadata.ts';
import { ApiError } from '../api/status.ts';
import { decodeObject } from './codec.ts';
import type { RegistryContext } from './context.ts';

/** The Namespace resource (core/v1). */
export const NAMESPACES: ResourceInfo = requireResource('', 'v1', 'namespaces');

function requireResource(group: string, version: string, resource: string): ResourceInfo {
  const info = findResource(group, version, resource);
  if (!info) throw new Error(`resource registry lacks ${group}/${version}/${resource}`);
  return info;
}

export async function assertNamespaceAcceptsContent(ctx: RegistryContext, info: ResourceInfo, namespace: string, name: string): Promise<void> {
  // The informer's copy when it has one (no store round trip on the create path); a live read
  // otherwise, so a namespace created a moment ago is never refused.
  let ns = ctx.cachedNamespace?.(namespace);
  if (!ns) {
    const kv = await ctx.store.get(objectKey(NAMESPACES, undefined, namespace));
    if (!kv) throw ApiError.notFound(NAMESPACES, namespace);
    ns = decodeObject(kv);
  }
  if (ns.metadata?.deletionTimestamp) {
    throw ApiError.forbidden(info, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
  }
}
