/**
 * The node's side of `kubectl attach` and `kubectl port-forward`: find the pod's container or
 * sandbox among the pod workers and reach it through the runtime or the network.
 *
 * Port-forward connects from the node's network namespace to the pod's IP (Docker: the sandbox's
 * address on its bridge; process runtime: 127.0.0.1, the host's network), not to localhost inside
 * the pod's network namespace as the kubelet's CRI does: a port a pod binds to 127.0.0.1 only is
 * not reachable this way. Failures are worded as the kubelet words them; kubectl prints them.
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ExecError } from '../src/net/exec.ts';
import { PortForwardError } from '../src/net/portforward.ts';
import type { AttachRequest, PortForwardRequest } from '../src/net/messages.ts';
import type { PodWorkers } from './pod-workers.ts';
import { AttachNotSupportedError, ContainerNotFoundError, ContainerNotRunningError } from '../src/runtime/errors.ts';
import type { AttachedProcess, ContainerRuntime } from '../src/runtime/types.ts';

/** How long the node waits for the pod's port to accept a connection. */
export const POD_CONNECT_TIMEOUT_MS = 5_000;

/** Attaches to a container for the master: 404 when it is not on this node, 400 when it is not running or cannot be. */
export async function openContainerAttach(runtime: ContainerRuntime, workers: PodWorkers, req: AttachRequest): Promise<AttachedProcess> {
  const who = `container "${req.container}" in pod "${req.name}"`;
  const id = workers.containerId(req.uid, req.container, false);
  if (!id) throw new ExecError(404, `${who} not found on this node`);
  try {
    return await runtime.attach(id, { stdin: req.stdin, tty: req.tty });
  } catch (err) {
    if (err instanceof ContainerNotFoundError) throw new ExecError(404, `${who} is gone`);
    if (err instanceof ContainerNotRunningError) throw new ExecError(400, `${who} is not running`);
    if (err instanceof AttachNotSupportedError) throw new ExecError(400, err.message);
    throw err;
  }
}

/** Go's words for the connect failures a forward meets. */
function dialFailure(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connect: connection refused';
    case 'ETIMEDOUT':
      return 'i/o timeout';
    case 'EHOSTUNREACH':
      return 'connect: no route to host';
    case 'ENETUNREACH':
      return 'connect: network is unreachable';
    default:
      return err.message;
  }
}

/** Connects to the pod's port for the master: a half-closable socket, or the kubelet's sentence for why not. */
export async function connectPodPort(runtime: ContainerRuntime, workers: PodWorkers, req: PortForwardRequest, timeoutMs = POD_CONNECT_TIMEOUT_MS): Promise<Duplex> {
  const { port } = req;
  const refuse = (code: number, pod: string, uid: string, reason: string): PortForwardError => new PortForwardError(code, `error forwarding port ${port} to pod ${pod}, uid ${uid}: ${reason}`);
  const sandbox = workers.sandbox(req.uid);
  if (!sandbox) throw refuse(404, req.name, req.uid, `pod not found ("${req.name}_${req.namespace}")`);
  if (runtime.name === 'hollow') throw refuse(400, sandbox.id, '', 'the hollow runtime cannot forward ports: nothing listens in its pods');
  if (!sandbox.ip) throw refuse(400, sandbox.id, '', `the pod has no IP address: its sandbox "${sandbox.id}" has no network`);
  const ip = sandbox.ip;
  const socket: Socket = connect({ host: ip, port, allowHalfOpen: true, timeout: timeoutMs });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
      socket.once('timeout', () => reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    });
  } catch (err) {
    socket.destroy();
    throw refuse(502, sandbox.id, '', `failed to connect to localhost:${port} inside namespace "${sandbox.id}", IPv4: dial tcp4 ${ip}:${port}: ${dialFailure(err as NodeJS.ErrnoException)}`);
  }
  // Connected: an idle forward is not timed out (a database connection may sit for hours).
  socket.setTimeout(0);
  return socket;
}
