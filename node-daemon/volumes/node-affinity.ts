/**
 * A PersistentVolume's `spec.nodeAffinity.required` against this node, as the kubelet's
 * `CheckNodeAffinity`: the same rule the binder and the scheduler use (src/api/storage/matching.ts),
 * applied to what the daemon knows of its own Node (its name and labels).
 */
import type { JsonObject } from '../../src/api/object.ts';
import { volumeFitsNode } from '../../src/api/storage/matching.ts';

export interface NodeIdentity {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** Whether the PV may be used on `node`. */
export function persistentVolumeFitsNode(pv: JsonObject, node: NodeIdentity): boolean {
  return volumeFitsNode(pv, { metadata: { name: node.name, labels: { ...node.labels } } });
}
