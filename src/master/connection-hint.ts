/**
 * The connection-lost note (src/actors/node/connection-note.ts): when a node's actor channel to
 * this master closes — its daemon died, its host went away, or it moved to another master — the
 * gateway notes it on the node's Lease. The leader's node controller hears it as a hint that
 * explains a silence, never a verdict.
 */
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { NODE_LEASE_NAMESPACE } from '../api/namespaces.ts';
import { withConnectionLostNote } from '../actors/node/connection-note.ts';
import type { Registry } from '../registry/registry.ts';
import { isNotFound, retryOnConflict } from '../registry/retry-on-conflict.ts';

const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;

/** Notes on the node's Lease that its connection to `master` closed at `now`; no Lease, no note. */
export async function noteConnectionLost(registry: Registry, nodeName: string, master: string, now: Date): Promise<void> {
  try {
    await retryOnConflict(async () => {
      const lease = await registry.get(LEASES, NODE_LEASE_NAMESPACE, nodeName);
      await registry.update(LEASES, NODE_LEASE_NAMESPACE, nodeName, { ...lease, metadata: withConnectionLostNote(lease, { at: now.toISOString(), master }) });
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
