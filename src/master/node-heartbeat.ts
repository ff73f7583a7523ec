/**
 * What a master does with a node's heartbeat, as the kubelet's two status paths in Kubernetes:
 * - renew the node's Lease `kube-node-lease/<node>` on every heartbeat (cheap, the liveness
 *   signal the node controller watches);
 * - write Node status (Ready/Reachable conditions, capacity, allocatable, nodeInfo, addresses)
 *   only when something in it changed, never just because time passed.
 * The condition texts come from the node machine's own rules (src/actors/node), so the gateway
 * and the node controller describe a node the same way.
 */
import { NODE_LEASE_NAMESPACE } from '../api/namespaces.ts';
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import { heartbeatConditions } from '../actors/node/conditions.ts';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isRecord, jsonEqual, recordList, type JsonObject, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import type { Registry } from '../registry/registry.ts';
import type { NodeHeartbeat } from '../net/messages.ts';
import { isNotFound, retryOnConflict } from '../registry/retry-on-conflict.ts';
import { withoutConnectionLostNote } from '../actors/node/connection-note.ts';

const NODES = findKind('v1', 'Node') as ResourceInfo;
const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;

/** Where node Leases live (Kubernetes' NodeLease feature). */
/** The kubelet's node lease duration. */
const NODE_LEASE_DURATION_SECONDS = 40;

/** NodeSystemInfo fields the schema requires; a daemon that does not report one gets ''. */
const NODE_INFO_FIELDS = [
  'architecture', 'bootID', 'containerRuntimeVersion', 'kernelVersion', 'kubeProxyVersion',
  'kubeletVersion', 'machineID', 'operatingSystem', 'osImage', 'systemUUID',
];

function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

/** Renews (or creates) `kube-node-lease/<node>`. */
export async function renewNodeLease(registry: Registry, node: KubeObject, now: Date): Promise<void> {
  const name = node.metadata?.name ?? '';
  try {
    await retryOnConflict(async () => {
      const lease = await registry.get(LEASES, NODE_LEASE_NAMESPACE, name);
      const spec = isRecord(lease.spec) ? lease.spec : {};
      // A renewal takes any connection-lost note off: the node is heard from again.
      await registry.update(LEASES, NODE_LEASE_NAMESPACE, name, { ...lease, metadata: withoutConnectionLostNote(lease), spec: { ...spec, holderIdentity: name, renewTime: microTime(now) } });
    });
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await registry.create(LEASES, NODE_LEASE_NAMESPACE, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: NODE_LEASE_NAMESPACE,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata?.uid ?? '' }],
      },
      spec: { holderIdentity: name, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime: microTime(now) },
    });
  } catch (err) {
    // Another master created it from a concurrent heartbeat: that one renewed it.
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}

const sameCondition = (a: JsonObject | undefined, b: NodeCondition): boolean =>
  a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message;

/**
 * The Node status a heartbeat asks for, or undefined when the stored status already says it
 * (heartbeat times aside). Conditions keep their stored lastTransitionTime unless their status
 * changed; conditions other than Ready and Reachable are kept.
 */
export function statusFromHeartbeat(node: KubeObject, hb: NodeHeartbeat, now: Date): JsonObject | undefined {
  const stored = isRecord(node.status) ? node.status : {};
  const storedConditions = recordList(stored, 'conditions');
  const wanted = heartbeatConditions(node.metadata?.name ?? '', { at: now.getTime(), ready: hb.ready, message: hb.message });
  const nodeInfo = Object.fromEntries(NODE_INFO_FIELDS.map((f) => [f, hb.nodeInfo[f] ?? '']));
  Object.assign(nodeInfo, hb.nodeInfo);
  const conditionsSame = wanted.every((c) => sameCondition(storedConditions.find((s) => s.type === c.type), c));
  const rest = { capacity: hb.capacity, allocatable: hb.allocatable, nodeInfo, addresses: hb.addresses };
  if (conditionsSame && Object.entries(rest).every(([k, v]) => jsonEqual(stored[k], v))) return undefined;
  const conditions = wanted.map((c): JsonObject => {
    const old = storedConditions.find((s) => s.type === c.type);
    return old?.status === c.status && typeof old.lastTransitionTime === 'string' ? { ...c, lastTransitionTime: old.lastTransitionTime } : { ...c };
  });
  const others = storedConditions.filter((s) => !wanted.some((c) => c.type === s.type));
  return { ...stored, ...rest, conditions: [...conditions, ...others] };
}

/** Writes the Node status a heartbeat implies, when it differs from what is stored. */
export async function writeNodeStatus(registry: Registry, nodeName: string, hb: NodeHeartbeat, now: Date): Promise<void> {
  await retryOnConflict(async () => {
    const node = await registry.get(NODES, undefined, nodeName);
    const status = statusFromHeartbeat(node, hb, now);
    if (status) await registry.updateStatus(NODES, undefined, nodeName, { ...node, status });
  });
}
