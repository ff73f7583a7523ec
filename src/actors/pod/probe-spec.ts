/**
 * Container probes as the pod machine and its probers see them: the Kubernetes `Probe` fields
 * after defaulting, with the handler resolved against the container (named ports looked up), and
 * what one run of a probe answers. The node reads them from the stored Pod
 * (node-daemon/probes/probe-spec.ts); the node's probe runners carry them out.
 */

/** Kubernetes' three probes, in the order the kubelet gates them (startup first). */
export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export const PROBE_KINDS: readonly ProbeKind[] = ['startup', 'liveness', 'readiness'];

/** `Liveness`, `Readiness`, `Startup`: how the kubelet names a probe in its Event messages. */
export function probeTitle(kind: ProbeKind): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

export interface HttpHeader {
  name: string;
  value: string;
}

/** What a probe does, one of Kubernetes' four handlers. */
export type ProbeHandler =
  /** Run `command` in the container: exit 0 is success. */
  | { type: 'exec'; command: string[] }
  /** GET `scheme://host:port/path`: 200–399 is success. `host` defaults to the pod IP. */
  | { type: 'httpGet'; scheme: 'HTTP' | 'HTTPS'; host?: string; port: number; path: string; headers: HttpHeader[] }
  /** Open a TCP connection to `host:port` (host defaults to the pod IP). */
  | { type: 'tcpSocket'; host?: string; port: number }
  /** gRPC health checking protocol (`grpc.health.v1.Health/Check`) on the pod IP. */
  | { type: 'grpc'; port: number; service?: string }
  /**
   * A probe the node cannot carry out as written (e.g. a named port the container does not
   * declare): every run errors with `message`, as the kubelet's prober does.
   */
  | { type: 'invalid'; message: string };

/** One probe of a container (Kubernetes `Probe`, defaulted). */
export interface ContainerProbe {
  handler: ProbeHandler;
  initialDelaySeconds: number;
  /** Default 10. */
  periodSeconds: number;
  /** Default 1. */
  timeoutSeconds: number;
  /** Consecutive successes that count as passed (default 1; always 1 for liveness and startup). */
  successThreshold: number;
  /** Consecutive failures that count as failed (default 3). */
  failureThreshold: number;
  /** Grace for the kill that follows a liveness or startup failure; default: the pod's. */
  terminationGracePeriodSeconds?: number;
}

export type ContainerProbes = Partial<Record<ProbeKind, ContainerProbe>>;

/**
 * One run's answer, as the kubelet's probers give it (`probe.Result` and its output):
 * `warning` is a success with something to report (an HTTP redirect not followed); `error`
 * means the probe could not be run at all, and its result is thrown away.
 */
export interface ProbeOutcome {
  result: 'success' | 'warning' | 'failure' | 'error';
  /** The output (exec), the reason of a failure, or the error. */
  output: string;
}

/** What a probe runner is asked to do once. */
export interface ProbeRequest {
  kind: ProbeKind;
  /** The container's name in the pod spec. */
  container: string;
  /** The runtime's id of the container's current run (for exec). */
  containerId: string;
  /** The pod's IP: the default host of httpGet, tcpSocket and grpc. */
  podIP?: string;
  handler: ProbeHandler;
  timeoutSeconds: number;
}

/**
 * Runs one probe and answers; never throws (a run that cannot be made answers `error`).
 * The signal aborts a run whose container stopped.
 */
export type ProbeRunner = (request: ProbeRequest, signal: AbortSignal) => Promise<ProbeOutcome>;
