/**
 * The master's AttachSource: a container is attached to on the node daemon that runs it, over
 * `/kactus/attach/1.0.0` (src/net/attach.ts).
 */
import type { AttachSource } from '../apiserver/handlers/pod-attach.ts';
import { logSourceError } from '../apiserver/handlers/pod-logs.ts';
import type { MeshHost } from '../net/host.ts';
import { openAttach } from '../net/attach.ts';
import { ExecError } from '../net/exec.ts';
import type { NodePeer } from './node-directory.ts';
import { podNode } from './pod-node.ts';

export function meshAttachSource(mesh: MeshHost, nodePeer: (nodeName: string) => NodePeer | undefined): AttachSource {
  return {
    async open(pod, container, opts, signal) {
      const { addresses, key } = podNode(pod, nodePeer);
      try {
        return await openAttach(mesh, addresses, { ...key, container, ...opts }, signal);
      } catch (err) {
        throw err instanceof ExecError ? logSourceError(err.code, err.message) : err;
      }
    },
  };
}
