/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/attach?container=…&stdin=…&stdout=…&stderr=…&tty=…`
 * upgraded to a WebSocket (`kubectl attach`, and `kubectl run -i`): the container's main process,
 * its output from now on and, when the container keeps stdin open (`spec.containers[].stdin`),
 * its input. The channel protocol is exec's (channel-stream.ts).
 *
 * Kubernetes' checks come first, as Status documents before any upgrade: the options (400), the
 * pod (404), the container (400), a pod not on a node or completed (400). As the kubelet does,
 * the terminal setting is the container's (`spec.containers[].tty`: whether the process runs on
 * one cannot change after it started), not the request's. A container that is not running is the
 * node's 400, on the error channel. The session ends when the process's output does (it
 * exited), with a Success Status: attach has no exit code of its own.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import { bool } from '../http/query.ts';
import type { Registry } from '../../registry/registry.ts';
import { channelProtocol, upgradeToChannels, type ChannelSession } from './channel-stream.ts';
import { logContainer } from './pod-logs.ts';

export interface PodAttachOptions {
  /** Pass the client's input to the process (when the container keeps stdin open). */
  stdin: boolean;
  /** The container runs on a terminal (from its spec): one output stream, resizes apply. */
  tty: boolean;
}

/**
 * Where containers are attached to. `open` resolves once attached (reject with an ApiError for a
 * status to answer); the session must be released when `signal` aborts (the client went away).
 */
export interface AttachSource {
  open(pod: KubeObject, container: string, opts: PodAttachOptions, signal: AbortSignal): Promise<ChannelSession>;
}

export interface PodAttachDeps {
  registry: Registry;
  attach?: AttachSource;
}

const PODS = findResource('', 'v1', 'pods')!;

/** Checks what Kubernetes (and kubectl) check before the node is asked; returns the container. */
export function checkAttach(pod: Pod, q: URLSearchParams, opts: { stdin: boolean; stdout: boolean; stderr: boolean }): Container {
  const name = pod.metadata?.name ?? '';
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw ApiError.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  const containerName = logContainer(pod, q.get('container') ?? undefined);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw ApiError.badRequest(`cannot attach a container in a completed pod; current phase is ${phase}`);
  if (!pod.spec?.nodeName) throw ApiError.badRequest(`pod ${name} does not have a host assigned`);
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
  return all.find((c) => c.name === containerName) as Container;
}

/** Serves one attach upgrade; throws an ApiError for anything found before it. */
export async function servePodAttach(req: IncomingMessage, socket: Duplex, head: Buffer, q: URLSearchParams, namespace: string, name: string, deps: PodAttachDeps): Promise<void> {
  const requested = { stdin: bool(q, 'stdin') ?? false, stdout: bool(q, 'stdout') ?? false, stderr: bool(q, 'stderr') ?? false };
  const pod = (await deps.registry.get(PODS, namespace, name)) as Pod & KubeObject;
  const container = checkAttach(pod, q, requested);
  const protocol = channelProtocol(req);
  if (!deps.attach) throw ApiError.serviceUnavailable('attach is not available: no attach source is configured on this API server');
  const attach = deps.attach;
  const opts: PodAttachOptions = { stdin: requested.stdin && container.stdin === true, tty: container.tty === true };
  upgradeToChannels(
    req,
    socket,
    head,
    protocol,
    (signal) => attach.open(pod, container.name, opts, signal),
    () => ({ metadata: {}, status: 'Success' }),
  );
}
