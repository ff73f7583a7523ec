/**
 * Where nodes can reach the masters: each master publishes its mesh multiaddrs in the ConfigMap
 * `kube-public/kactus-mesh` (one key per master name), readable by any client of the API, as
 * kubeadm publishes `kube-public/cluster-info` for joining nodes. `kactus token create` reads it
 * to print the join line.
 */
import { findResource } from '../api/kinds.ts';
import type { Registry } from '../registry/registry.ts';
import { isNotFound, retryOnConflict } from '../registry/retry-on-conflict.ts';

export const MESH_CONFIGMAP = { namespace: 'kube-public', name: 'kactus-mesh' } as const;

const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;

/** Record `addrs` under `masterName`; creates the ConfigMap on first use. */
export async function publishMeshAddresses(registry: Registry, masterName: string, addrs: string[]): Promise<void> {
  const value = addrs.join(',');
  await retryOnConflict(async () => {
    let current;
    try {
      current = await registry.get(CONFIGMAPS, MESH_CONFIGMAP.namespace, MESH_CONFIGMAP.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await registry.create(CONFIGMAPS, MESH_CONFIGMAP.namespace, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: MESH_CONFIGMAP.name, namespace: MESH_CONFIGMAP.namespace },
        data: { [masterName]: value },
      });
      return;
    }
    const data = { ...((current.data as Record<string, string> | undefined) ?? {}), [masterName]: value };
    await registry.update(CONFIGMAPS, MESH_CONFIGMAP.namespace, MESH_CONFIGMAP.name, { ...current, data }, {});
  });
}

/** Every published master address, in master-name order. */
export function meshAddressesOf(configMapData: Record<string, string> | undefined): string[] {
  return Object.keys(configMapData ?? {})
    .sort()
    .flatMap((k) => (configMapData![k] ?? '').split(',').filter(Boolean));
}
