/**
 * The master's ExecSource: a command runs on the node daemon that runs the pod, over
 * `/kactus/exec/1.0.0` (src/net/exec.ts).
 */
import type { ExecSource } from '../apiserver/handlers/pod-exec.ts';
import { logSourceError } from '../apiserver/handlers/pod-logs.ts';
import type { MeshHost } from '../net/host.ts';
import { ExecError, openExec } from '../net/exec.ts';
import type { NodePeer } from './node-directory.ts';
import { podNode } from './pod-node.ts';

export function meshExecSource(mesh: MeshHost, nodePeer: (nodeName: string) => NodePeer | undefined): ExecSource {
  return {
    async open(pod, container, opts, signal) {
      const { addresses, key } = podNode(pod, nodePeer);
      try {
        return await openExec(mesh, addresses, { ...key, container, ...opts }, signal);
      } catch (err) {
        throw err instanceof ExecError ? logSourceError(err.code, err.message) : err;
      }
    },
  };
}
