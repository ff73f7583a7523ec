/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/exec?command=…&container=…&stdin=…&stdout=…&stderr=…&tty=…`
 * upgraded to a WebSocket: `kubectl exec` (and `kubectl cp`, which runs tar through it).
 *
 * Kubernetes' checks come first, answered as Status documents before any upgrade (what kubectl
 * prints): the options (400), the pod (404), the container (400), a pod that is not on a node or
 * has completed (400). Then the connection is upgraded and the command started on the node; a
 * node's refusal (404/400) is the error channel's Status. Subprotocol `v5.channel.k8s.io` (or v4): every binary message starts
 * with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error (a Status, sent last), 4 resize
 * (`{"Width","Height"}`), and in v5 255 "close" (`[255, 0]`: EOF on stdin).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { bool } from '../http/query.ts';
import { toApiError } from '../http/respond.ts';
import type { Registry } from '../registry/registry.ts';
import { logContainer } from './pod-logs.ts';

export interface PodExecOptions {
  command: string[];
  stdin: boolean;
  tty: boolean;
}

/** A command running in a container, as the node gateway hands it over. */
export interface PodExecSession {
  /** stdout (fd 1) and stderr (fd 2) as the command writes them; ends once it exited. */
  output: AsyncIterable<{ fd: 1 | 2; data: Uint8Array }>;
  /** Set when `output` has ended. */
  readonly exitCode: number | undefined;
  writeStdin(data: Uint8Array): Promise<void>;
  endStdin(): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  abort(): void;
}

/**
 * Where commands run. `open` resolves once the command runs (reject with an ApiError for a status
 * to answer); the session must be released when `signal` aborts (the client went away).
 */
export interface ExecSource {
  open(pod: KubeObject, container: string, opts: PodExecOptions, signal: AbortSignal): Promise<PodExecSession>;
}

export interface PodExecDeps {
  registry: Registry;
  exec?: ExecSource;
}

const PODS = findResource('', 'v1', 'pods')!;
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STDIN = 0;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** Checks what Kubernetes checks before it contacts the node; returns the container to run in. */
export function checkExec(pod: Pod, q: URLSearchParams, opts: PodExecOptions & { stdout: boolean; stderr: boolean }): string {
  const name = pod.metadata?.name ?? '';
  if (opts.command.length === 0) throw ApiError.badRequest('you must specify at least one command for the container');
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw ApiError.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  const container = logContainer(pod, q.get('container') ?? undefined);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw ApiError.badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  if (!pod.spec?.nodeName) throw ApiError.badRequest(`pod ${name} does not have a host assigned`);
  return container;
}

/**
 * Serves one exec upgrade. Throws an ApiError (for the caller to answer on the socket) for
 * anything found before the upgrade; after it, failures travel on the error channel.
 */
export async function servePodExec(req: IncomingMessage, socket: Duplex, head: Buffer, q: URLSearchParams, namespace: string, name: string, deps: PodExecDeps): Promise<void> {
  const opts = { command: q.getAll('command'), stdin: bool(q, 'stdin') ?? false, stdout: bool(q, 'stdout') ?? false, stderr: bool(q, 'stderr') ?? false, tty: bool(q, 'tty') ?? false };
  const pod = (await deps.registry.get(PODS, namespace, name)) as Pod & KubeObject;
  const container = checkExec(pod, q, opts);
  // After the checks: kubectl retries a refused WebSocket upgrade over SPDY and prints that answer.
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const protocol = PROTOCOLS.find((p) => offered.includes(p));
  if (!protocol) throw ApiError.badRequest(`unable to upgrade: this server speaks WebSocket with ${PROTOCOLS.join(' or ')}, not SPDY`);
  if (!deps.exec) throw ApiError.serviceUnavailable('exec is not available: no exec source is configured on this API server');

  const exec = deps.exec;
  const abort = new AbortController();
  socket.once('close', () => abort.abort());
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => protocol });
  wss.handleUpgrade(req, socket, head, (ws) => {
    wss.close();
    // The node's answer comes after the upgrade: a refused upgrade makes kubectl retry over SPDY,
    // and asking the node twice could run the command twice. Until then the client's input waits.
    ws.pause();
    exec.open(pod, container, { command: opts.command, stdin: opts.stdin, tty: opts.tty }, abort.signal).then(
      (session) => {
        // The client may have gone while the node was starting the command.
        if (ws.readyState !== ws.OPEN) return session.abort();
        bridge(ws, session, opts.command);
        ws.resume();
      },
      (err: unknown) => finish(ws, toApiError(err).toStatus()),
    );
  });
}

/** The last message: a Status on the error channel, then a normal close. */
function finish(ws: WebSocket, status: object): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(Buffer.concat([Buffer.from([ERROR]), Buffer.from(JSON.stringify(status))]), () => ws.close(1000));
}

/** Client messages into the command, the command's output and exit to the client. */
function bridge(ws: WebSocket, session: PodExecSession, command: string[]): void {
  let finished = false;
  ws.on('close', () => {
    if (!finished) session.abort();
  });
  ws.on('message', (data: RawData) => {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
    if (bytes.length === 0) return;
    const payload = bytes.subarray(1);
    const sent = (() => {
      switch (bytes[0]) {
        case STDIN:
          return payload.length > 0 ? session.writeStdin(payload) : undefined;
        case RESIZE: {
          const size = parseSize(payload);
          return size ? session.resize(size.Width, size.Height) : undefined;
        }
        case CLOSE:
          return payload[0] === STDIN ? session.endStdin() : undefined;
        default:
          return undefined;
      }
    })();
    // Backpressure: hold the client's stream while the node has not taken this piece.
    if (sent) {
      ws.pause();
      sent.then(
        () => ws.resume(),
        () => ws.terminate(),
      );
    }
  });
  void (async () => {
    let status: object;
    try {
      for await (const piece of session.output) {
        if (ws.readyState !== ws.OPEN) return;
        await new Promise<void>((resolve, reject) => ws.send(Buffer.concat([Buffer.from([piece.fd]), piece.data]), (err) => (err ? reject(err) : resolve())));
      }
      status = exitStatus(session.exitCode ?? 0, command);
    } catch (err) {
      status = toApiError(err).toStatus();
    }
    finished = true;
    finish(ws, status);
  })();
}

function parseSize(payload: Buffer): { Width: number; Height: number } | undefined {
  try {
    const size = JSON.parse(payload.toString()) as { Width?: unknown; Height?: unknown };
    return typeof size.Width === 'number' && typeof size.Height === 'number' ? { Width: size.Width, Height: size.Height } : undefined;
  } catch {
    return undefined;
  }
}

/** The Status the error channel carries at the end, as the kubelet writes it (kubectl exits with the code). */
export function exitStatus(code: number, command: string[]): object {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}
