/**
 * The master's PortForwardSource: a pod's port is reached through the node daemon that runs it,
 * over `/kactus/portforward/1.0.0` (src/net/portforward.ts), one stream per forwarded connection.
 * What fails is told to the client in the kubelet's words: the node's own sentence, or this
 * master's failure to reach the node put the same way.
 */
import type { PortForwardSource } from '../apiserver/handlers/pod-portforward.ts';
import type { MeshHost } from '../net/host.ts';
import { PortForwardError, openPortForward } from '../net/portforward.ts';
import type { NodePeer } from './node-directory.ts';
import { podNode } from './pod-node.ts';

export function meshPortForwardSource(mesh: MeshHost, nodePeer: (nodeName: string) => NodePeer | undefined): PortForwardSource {
  return {
    async connect(pod, port, signal) {
      const meta = pod.metadata ?? {};
      const failed = (reason: string): Error => new Error(`error forwarding port ${port} to pod ${meta.name ?? ''}, uid ${meta.uid ?? ''}: ${reason}`);
      let target;
      try {
        target = podNode(pod, nodePeer);
      } catch (err) {
        throw failed((err as Error).message);
      }
      try {
        return await openPortForward(mesh, target.addresses, { ...target.key, port }, signal);
      } catch (err) {
        if (err instanceof PortForwardError && err.fromNode) throw err;
        throw failed((err as Error).message);
      }
    },
  };
}
