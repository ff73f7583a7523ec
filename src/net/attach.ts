/**
 * `/kactus/attach/1.0.0`: a master attaches to a container's main process on a node (the path
 * behind `kubectl attach` and `kubectl run -i`), one stream per attachment: `attach.request`
 * (pod, container, stdin, tty), then exec's frames (session-stream.ts). The node answers 404 when
 * the pod or container is not there, 400 when it is not running or the runtime cannot attach.
 * The output ends when the process's does (it exited), with `exec.exit {code: 0}`.
 */
import type { PeerId } from '@libp2p/interface';
import type { AttachedProcess } from '../runtime/types.ts';
import type { AttachRequest } from './messages.ts';
import { PROTOCOL_ATTACH } from './protocols.ts';
import type { MeshHost } from './host.ts';
import { openSession, serveSessions, type RemoteSession } from './session-stream.ts';

/** What a node daemon plugs into `serveAttach`. */
export interface AttachProvider {
  /** Only admitted peers (the masters) may attach; others get their stream reset. */
  isAdmitted(peer: PeerId): boolean | Promise<boolean>;
  /** Attach (the runtime's AttachedProcess). Throw ExecError for an answer the master passes on; anything else is a 500. */
  open(request: AttachRequest): Promise<AttachedProcess>;
}

/** Serve `/kactus/attach/1.0.0` on a node. Returns a function that unregisters the handler. */
export function serveAttach(host: MeshHost, provider: AttachProvider): Promise<() => Promise<void>> {
  return serveSessions(host, PROTOCOL_ATTACH, 'attach.request', provider);
}

/** Attach to a container on a node: resolves once attached (refusals reject with the node's ExecError; 503/502 as for exec). */
export function openAttach(host: MeshHost, nodeAddrs: readonly string[], request: AttachRequest, signal?: AbortSignal): Promise<RemoteSession> {
  return openSession(host, nodeAddrs, PROTOCOL_ATTACH, 'attach.request', request, signal);
}
