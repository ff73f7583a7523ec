/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/exec?command=…&container=…&stdin=…&stdout=…&stderr=…&tty=…`
 * upgraded to a WebSocket: `kubectl exec` (and `kubectl cp`, which runs tar through it).
 *
 * Kubernetes' checks come first, answered as Status documents before any upgrade (what kubectl
 * prints): the options (400), the pod (404), the container (400), a pod that is not on a node or
 * has completed (400). Then the connection is upgraded and the command started on the node; a
 * node's refusal (404/400) is the error channel's Status. The channel protocol (`v5.channel.k8s.io`
 * or v4) is in channel-stream.ts; the last message is the command's outcome (`NonZeroExitCode`).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { bool } from '../http/query.ts';
import type { Registry } from '../../registry/registry.ts';
import { channelProtocol, upgradeToChannels, type ChannelSession } from './channel-stream.ts';
import { logContainer } from './pod-logs.ts';

export interface PodExecOptions {
  command: string[];
  stdin: boolean;
  tty: boolean;
}

/** A command running in a container, as the node gateway hands it over. */
export type PodExecSession = ChannelSession;

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
  const protocol = channelProtocol(req);
  if (!deps.exec) throw ApiError.serviceUnavailable('exec is not available: no exec source is configured on this API server');
  const exec = deps.exec;
  upgradeToChannels(
    req,
    socket,
    head,
    protocol,
    (signal) => exec.open(pod, container, { command: opts.command, stdin: opts.stdin, tty: opts.tty }, signal),
    (session) => exitStatus(session.exitCode ?? 0, opts.command),
  );
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
