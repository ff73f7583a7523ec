/**
 * The node daemon a pod runs on, as a master reaches it for per-pod requests (logs, exec):
 * the addresses it announced when it joined, and the pod's identity on that node.
 */
import type { KubeObject } from '../api/object.ts';
import { logSourceError } from '../apiserver/handlers/pod-logs.ts';
import type { PodKey } from '../net/messages.ts';
import type { NodePeer } from './node-directory.ts';

/** The pod's node and key; 503 when this master cannot reach that node. */
export function podNode(pod: KubeObject, nodePeer: (nodeName: string) => NodePeer | undefined): { addresses: string[]; key: PodKey } {
  const spec = pod.spec as { nodeName?: string } | undefined;
  const nodeName = spec?.nodeName ?? '';
  const peer = nodeName ? nodePeer(nodeName) : undefined;
  if (!peer || peer.addresses.length === 0) throw logSourceError(503, `node "${nodeName}" is not reachable from this master`);
  const meta = pod.metadata ?? {};
  return { addresses: [...peer.addresses], key: { namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '' } };
}
