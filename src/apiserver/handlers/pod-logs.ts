/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/log`: a container's log as `text/plain`, streamed
 * (chunked) while the source produces it. The checks Kubernetes makes are made here, in its
 * order and wording: options (422 PodLogOptions), the pod (404), the container name (400), then
 * what the kubelet checks from the container's status (400 "is waiting to start", ...) — this
 * server knows the reported status, so a request for a log that cannot exist never reaches a node.
 * The bytes come from an injected LogSource (the master's node gateway in a cluster).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/kinds.ts';
import { forbidden, invalid, type FieldError } from '../../api/field.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError, type StatusReason } from '../../api/status.ts';
import { bool, int } from '../http/query.ts';
import type { Registry } from '../../registry/registry.ts';

/** What a log request asks of the source, as Kubernetes' PodLogOptions (minus the container). */
export interface PodLogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** Applied by the server too: the response stops after this many bytes. */
  limitBytes?: number;
  /**
   * The instance whose log is asked for (`docker://…`), as the pod's status names it (set by the
   * server): a restarted container's log is that of the run the status shows.
   */
  containerID?: string;
}

/**
 * Where log bytes come from. `stream` resolves once the log is open (reject with an ApiError for
 * a status to answer: `logSourceError` builds one from a node's code) and yields its bytes; it
 * must stop, and release what it holds, when `signal` aborts (the client hung up).
 */
export interface LogSource {
  stream(pod: KubeObject, container: string, opts: PodLogOptions, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}

const PODS = findResource('', 'v1', 'pods')!;

const REASON_FOR_CODE: Record<number, StatusReason> = { 400: 'BadRequest', 404: 'NotFound', 503: 'ServiceUnavailable', 504: 'Timeout' };

/** The Status for a log source failure with an HTTP-like code (a node's `logs.error`). */
export function logSourceError(code: number, message: string): ApiError {
  const reason = REASON_FOR_CODE[code];
  return reason ? new ApiError(code, reason, message) : new ApiError(code >= 500 ? code : 500, 'InternalError', message);
}

/** Query → options, validated as Kubernetes' ValidatePodLogOptions (422 naming the field). */
export function podLogOptions(q: URLSearchParams, podName: string, now: Date = new Date()): PodLogOptions {
  const opts: PodLogOptions = { follow: bool(q, 'follow') ?? false, previous: bool(q, 'previous') ?? false, timestamps: bool(q, 'timestamps') ?? false };
  const errors: FieldError[] = [];
  const tailLines = int(q, 'tailLines');
  if (tailLines !== undefined) {
    if (tailLines < 0) errors.push(invalid('tailLines', tailLines, 'must be greater than or equal to 0'));
    opts.tailLines = tailLines;
  }
  const limitBytes = int(q, 'limitBytes');
  if (limitBytes !== undefined) {
    if (limitBytes < 1) errors.push(invalid('limitBytes', limitBytes, 'must be greater than 0'));
    opts.limitBytes = limitBytes;
  }
  const sinceSeconds = int(q, 'sinceSeconds');
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) {
    errors.push(forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  } else if (sinceSeconds !== undefined) {
    if (sinceSeconds < 1) errors.push(invalid('sinceSeconds', sinceSeconds, 'must be greater than 0'));
    opts.sinceSeconds = sinceSeconds;
  } else if (sinceTime) {
    const at = Date.parse(sinceTime);
    if (Number.isNaN(at)) throw ApiError.badRequest(`invalid value for sinceTime: ${JSON.stringify(sinceTime)}: must be an RFC 3339 time`);
    // The runtimes take a window in seconds; a time in the future asks for nothing older than now.
    opts.sinceSeconds = Math.max(1, Math.ceil((now.getTime() - at) / 1000));
  }
  if (errors.length) throw ApiError.invalid({ group: '', kind: 'PodLogOptions' }, podName, errors);
  return opts;
}

/**
 * The container whose log is asked for: the named one, or the only one. Kubernetes lists every
 * container (init first) when the pod has several and none was named.
 */
export function logContainer(pod: Pod, requested: string | undefined): string {
  const name = pod.metadata?.name ?? '';
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((c) => c.name);
  if (requested) {
    if (!all.includes(requested)) throw ApiError.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const main = pod.spec?.containers ?? [];
  if (main.length === 1) return main[0]!.name;
  if (main.length === 0) throw ApiError.badRequest(`a container name must be specified for pod ${name}`);
  throw ApiError.badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
}

/**
 * Whether the container has a log to read, from its reported status, with the kubelet's answers:
 * a container not yet created (pod unbound, no status yet) is "waiting to start: ContainerCreating".
 * Returns the id of the instance whose log it is (`docker://…`), chosen as the kubelet chooses:
 * the previous run's with `previous`; else the running one; else the terminated one (or, when
 * that never started, the run before); else the last terminated (CrashLoopBackOff).
 */
export function checkLogAvailable(pod: Pod, container: string, previous: boolean): string {
  const podName = pod.metadata?.name ?? '';
  const who = `container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)}`;
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const st: ContainerStatus | undefined = pod.spec?.nodeName ? statuses.find((s) => s.name === container) : undefined;
  if (!st) throw ApiError.badRequest(`${who} is waiting to start: ContainerCreating`);
  const last = st.lastState?.terminated;
  const { waiting, running, terminated } = st.state ?? {};
  if (previous) {
    if (!last?.containerID) throw ApiError.badRequest(`previous terminated ${who} not found`);
    return last.containerID;
  }
  if (running) return st.containerID ?? '';
  if (terminated) {
    const id = terminated.containerID || last?.containerID;
    if (!id) throw ApiError.badRequest(`${who} is terminated`);
    return id;
  }
  if (last) {
    if (!last.containerID) throw ApiError.badRequest(`${who} is terminated`);
    return last.containerID;
  }
  if (waiting) {
    if (waiting.reason === 'ErrImagePull') throw ApiError.badRequest(`${who} is waiting to start: image can't be pulled`);
    if (waiting.reason === 'ImagePullBackOff') throw ApiError.badRequest(`${who} is waiting to start: trying and failing to pull image`);
    throw ApiError.badRequest(`${who} is waiting to start: ${waiting.reason ?? ''}`);
  }
  throw ApiError.badRequest(`${who} is waiting to start - no logs yet`);
}

export interface PodLogDeps {
  registry: Registry;
  logs?: LogSource;
}

/** Serves one log request: checks, opens the source, then copies its bytes with backpressure. */
export async function servePodLogs(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, namespace: string, name: string, deps: PodLogDeps): Promise<void> {
  if (req.method !== 'GET') throw ApiError.methodNotAllowed({ group: '', resource: 'pods/log' }, (req.method ?? '').toLowerCase());
  const opts = podLogOptions(q, name);
  const pod = (await deps.registry.get(PODS, namespace, name)) as Pod & KubeObject;
  const container = logContainer(pod, q.get('container') ?? undefined);
  const containerID = checkLogAvailable(pod, container, opts.previous);
  if (!deps.logs) throw ApiError.serviceUnavailable('pod logs are not available: no log source is configured on this API server');

  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const source = await deps.logs.stream(pod, container, containerID ? { ...opts, containerID } : opts, abort.signal);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  // Headers now, not with the first byte: a follower with a quiet container knows it is connected.
  res.flushHeaders();
  let left = opts.limitBytes ?? Infinity;
  try {
    for await (const piece of source) {
      if (abort.signal.aborted) break;
      const out = piece.length > left ? piece.subarray(0, left) : piece;
      left -= out.length;
      if (!res.write(out)) await drained(res);
      if (left <= 0) break;
    }
  } catch (err) {
    // The client hung up and the source stopped as asked: nothing to report.
    if (abort.signal.aborted) return;
    throw err;
  }
  res.end();
}

/** Resolves when the response can take more, or when the client went away. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
