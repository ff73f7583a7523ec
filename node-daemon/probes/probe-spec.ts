/**
 * Reading a container's probes from the stored Pod (`startupProbe`, `livenessProbe`,
 * `readinessProbe`) into what the pod machine runs. Pure. Fields are defaulted as the API does
 * (a 0 counts as unset, as Go's zero value does); named ports are resolved against the
 * container's `ports` here, once, as the kubelet's `ResolveContainerPort` does on every run. A
 * probe the node cannot carry out becomes an `invalid` handler: each run then errors with the
 * reason (`Readiness probe errored: …`), as in Kubernetes.
 */
import { optionalRecord, recordList, type JsonObject } from '../../src/api/object.ts';
import type { ContainerProbe, ContainerProbes, HttpHeader, ProbeHandler, ProbeKind } from '../../src/actors/pod/probe-spec.ts';

const FIELDS: readonly [ProbeKind, string][] = [
  ['startup', 'startupProbe'],
  ['liveness', 'livenessProbe'],
  ['readiness', 'readinessProbe'],
];

function positive(v: unknown, otherwise: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : otherwise;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function invalid(message: string): ProbeHandler {
  return { type: 'invalid', message };
}

/** A probe's port: a number, a container port's name, or a number written as a string. */
export function resolvePort(port: unknown, container: JsonObject): number | string {
  const name = str(container.name) ?? '';
  let number: number | undefined;
  if (typeof port === 'number') number = port;
  else if (typeof port === 'string') {
    const named = recordList(container, 'ports').find((p) => p.name === port)?.containerPort;
    if (typeof named === 'number') number = named;
    else if (/^\d+$/.test(port)) number = Number(port);
    else return `no port named "${port}" in container "${name}"`;
  } else {
    return 'the probe names no port';
  }
  return Number.isInteger(number) && number > 0 && number < 65536 ? number : `invalid port number: ${number}`;
}

function headersOf(httpGet: JsonObject): HttpHeader[] {
  return recordList(httpGet, 'httpHeaders').flatMap((h) => {
    const name = str(h.name);
    return name === undefined ? [] : [{ name, value: str(h.value) ?? '' }];
  });
}

function handlerOf(probe: JsonObject, container: JsonObject): ProbeHandler {
  const exec = optionalRecord(probe, 'exec');
  if (exec) {
    const command = Array.isArray(exec.command) ? exec.command.filter((c): c is string => typeof c === 'string') : [];
    return command.length > 0 ? { type: 'exec', command } : invalid('exec.command is empty');
  }
  const httpGet = optionalRecord(probe, 'httpGet');
  if (httpGet) {
    const port = resolvePort(httpGet.port, container);
    if (typeof port === 'string') return invalid(port);
    const host = str(httpGet.host);
    return {
      type: 'httpGet',
      scheme: str(httpGet.scheme)?.toUpperCase() === 'HTTPS' ? 'HTTPS' : 'HTTP',
      ...(host ? { host } : {}),
      port,
      path: str(httpGet.path) ?? '/',
      headers: headersOf(httpGet),
    };
  }
  const tcpSocket = optionalRecord(probe, 'tcpSocket');
  if (tcpSocket) {
    const port = resolvePort(tcpSocket.port, container);
    if (typeof port === 'string') return invalid(port);
    const host = str(tcpSocket.host);
    return { type: 'tcpSocket', ...(host ? { host } : {}), port };
  }
  const grpc = optionalRecord(probe, 'grpc');
  if (grpc) {
    // gRPC ports are numbers only (Kubernetes' GRPCAction.port is an int32).
    if (typeof grpc.port !== 'number') return invalid('grpc.port must be a number');
    const port = resolvePort(grpc.port, container);
    if (typeof port === 'string') return invalid(port);
    const service = str(grpc.service);
    return { type: 'grpc', port, ...(service ? { service } : {}) };
  }
  return invalid('the probe has no handler (exec, httpGet, tcpSocket or grpc)');
}

function probeOf(kind: ProbeKind, probe: JsonObject, container: JsonObject): ContainerProbe {
  const out: ContainerProbe = {
    handler: handlerOf(probe, container),
    initialDelaySeconds: positive(probe.initialDelaySeconds, 0),
    periodSeconds: positive(probe.periodSeconds, 10),
    timeoutSeconds: positive(probe.timeoutSeconds, 1),
    // Liveness and startup probes pass on one success (the API rejects anything else).
    successThreshold: kind === 'readiness' ? positive(probe.successThreshold, 1) : 1,
    failureThreshold: positive(probe.failureThreshold, 3),
  };
  // A probe-level grace applies to the kill after a liveness or startup failure only.
  const grace = probe.terminationGracePeriodSeconds;
  if (kind !== 'readiness' && typeof grace === 'number' && grace > 0) out.terminationGracePeriodSeconds = grace;
  return out;
}

/** The container's probes, by kind. */
export function probesOf(container: JsonObject): ContainerProbes {
  const probes: ContainerProbes = {};
  for (const [kind, field] of FIELDS) {
    const probe = optionalRecord(container, field);
    if (probe) probes[kind] = probeOf(kind, probe, container);
  }
  return probes;
}
