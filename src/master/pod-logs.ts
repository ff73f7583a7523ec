/**
 * The master's LogSource: a pod's log is read from the node daemon that runs it, over
 * `/kactus/logs/1.0.0`, at the addresses the node announced when it joined.
 */
import { logSourceError, type LogSource } from '../apiserver/handlers/pod-logs.ts';
import type { MeshHost } from '../net/host.ts';
import { fetchLogs, LogsError } from '../net/logs.ts';
import type { NodePeer } from './node-directory.ts';
import { podNode } from './pod-node.ts';

export function meshLogSource(mesh: MeshHost, nodePeer: (nodeName: string) => NodePeer | undefined): LogSource {
  return {
    async stream(pod, container, opts, signal) {
      const { addresses, key } = podNode(pod, nodePeer);
      try {
        return await fetchLogs(mesh, addresses, { ...key, container, ...opts }, signal);
      } catch (err) {
        throw err instanceof LogsError ? logSourceError(err.code, err.message) : err;
      }
    },
  };
}
