/**
 * The master's LogSource: a pod's log is read from the node daemon that runs it, over
 * `/kactus/logs/1.0.0`, at the addresses the node announced when it joined.
 */
import type { KubeObject } from '../api/object.ts';
import { logSourceError, type LogSource } from '../apiserver/handlers/pod-logs.ts';
import type { MeshHost } from '../net/host.ts';
import { fetchLogs, LogsError } from '../net/logs.ts';
import type { NodePeer } from './node-directory.ts';

export function meshLogSource(mesh: MeshHost, nodePeer: (nodeName: string) => NodePeer | undefined): LogSource {
  return {
    async stream(pod: KubeObject, container, opts, signal) {
      const spec = pod.spec as { nodeName?: string } | undefined;
      const nodeName = spec?.nodeName ?? '';
      const peer = nodeName ? nodePeer(nodeName) : undefined;
      if (!peer || peer.addresses.length === 0) throw logSourceError(503, `node "${nodeName}" is not reachable from this master`);
      const meta = pod.metadata ?? {};
      try {
        return await fetchLogs(mesh, peer.addresses, { namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '', container, ...opts }, signal);
      } catch (err) {
        throw err instanceof LogsError ? logSourceError(err.code, err.message) : err;
      }
    },
  };
}
