/**
 * `/kactus/exec/1.0.0`: a master runs a command in a container on a node (the path behind
 * `kubectl exec`, and so `kubectl cp`), one stream per command. The frames are those of every
 * session (session-stream.ts): `exec.request` (pod, container, argv, stdin, tty), then
 * `exec.started` or `exec.error`, then stdin/resize one way and output, then `exec.exit {code}`,
 * the other.
 */
import type { PeerId } from '@libp2p/interface';
import type { ExecProcess } from '../runtime/types.ts';
import type { ExecRequest } from './messages.ts';
import { PROTOCOL_EXEC } from './protocols.ts';
import type { MeshHost } from './host.ts';
import { SESSION_CHUNK_BYTES, SESSION_OPEN_TIMEOUT_MS, openSession, serveSessions, type RemoteSession } from './session-stream.ts';

/** Largest `exec.output` payload. */
export const EXEC_CHUNK_BYTES = SESSION_CHUNK_BYTES;

/** The request must arrive, and the command must start, within this time. */
export const EXEC_OPEN_TIMEOUT_MS = SESSION_OPEN_TIMEOUT_MS;

/** An exec (or attach) that failed, with an HTTP-like code (see session-stream.ts; 503/502 as for logs). */
export { SessionError as ExecError } from './session-stream.ts';

/** What a node daemon plugs into `serveExec`. */
export interface ExecProvider {
  /** Only admitted peers (the masters) may run commands; others get their stream reset. */
  isAdmitted(peer: PeerId): boolean | Promise<boolean>;
  /** Start the command (the runtime's ExecProcess). Throw ExecError for an answer the master passes on; anything else is a 500. */
  open(request: ExecRequest): Promise<ExecProcess>;
}

/** Serve `/kactus/exec/1.0.0` on a node. Returns a function that unregisters the handler. */
export function serveExec(host: MeshHost, provider: ExecProvider): Promise<() => Promise<void>> {
  return serveSessions(host, PROTOCOL_EXEC, 'exec.request', provider);
}

/** The master's handle on a command running on a node. */
export type ExecSession = RemoteSession;

/**
 * Start a command on a node: resolves once it runs (node errors reject here with the node's
 * ExecError; 503 when no address answers, 502 when the node broke the stream off).
 */
export function openExec(host: MeshHost, nodeAddrs: readonly string[], request: ExecRequest, signal?: AbortSignal): Promise<ExecSession> {
  return openSession(host, nodeAddrs, PROTOCOL_EXEC, 'exec.request', request, signal);
}
