/**
 * Pod spec rules Kubernetes checks and the schema cannot: containers present, names unique DNS
 * labels, image set, enum values, ports in range, probes (one handler, thresholds). Shared by Pods and every pod template.
 * Run after `applyDefaults`: absent enum fields are left to defaulting, not reported.
 */
import { child, duplicate, forbidden, index, invalid, notFound, notSupported, required, type FieldError } from '../field.ts';
import { isRecord, optionalRecord, type JsonObject } from '../object.ts';
import { isDNS1123Label, isValidPortName, isValidPortNum } from './names.ts';
import { validateContainerConfig, validatePodVolumeSources } from './pod-volumes.ts';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/**
 * `restartPolicies` narrows the allowed values for templates: workload controllers allow only
 * `Always`, Jobs `OnFailure` and `Never`.
 */
export function validatePodSpec(spec: JsonObject | undefined, path: string, restartPolicies = RESTART_POLICIES): FieldError[] {
  const errs: FieldError[] = [];
  const s = spec ?? {};
  const names = new Set<string>();
  const volumes = validateVolumes(s.volumes, child(path, 'volumes'), errs);
  validatePodVolumeSources(s.volumes, child(path, 'volumes'), errs);
  const containers = s.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errs.push(required(child(path, 'containers')));
  } else {
    containers.forEach((c, i) => validateContainer(c, index(child(path, 'containers'), i), names, volumes, errs));
  }
  if (Array.isArray(s.initContainers)) {
    s.initContainers.forEach((c, i) => validateContainer(c, index(child(path, 'initContainers'), i), names, volumes, errs));
  }
  const restartPolicy = s.restartPolicy;
  if (typeof restartPolicy === 'string' && !restartPolicies.includes(restartPolicy)) {
    errs.push(notSupported(child(path, 'restartPolicy'), restartPolicy, restartPolicies));
  }
  if (typeof s.dnsPolicy === 'string' && !DNS_POLICIES.includes(s.dnsPolicy)) {
    errs.push(notSupported(child(path, 'dnsPolicy'), s.dnsPolicy, DNS_POLICIES));
  }
  if (typeof s.activeDeadlineSeconds === 'number' && s.activeDeadlineSeconds < 1) {
    errs.push(invalid(child(path, 'activeDeadlineSeconds'), s.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (typeof s.terminationGracePeriodSeconds === 'number' && s.terminationGracePeriodSeconds < 0) {
    errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), s.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  return errs;
}

/** Checks volume names; returns the set of declared names for volumeMount checks. */
function validateVolumes(volumes: unknown, path: string, errs: FieldError[]): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(volumes)) return names;
  volumes.forEach((v, i) => {
    if (!isRecord(v)) return;
    const namePath = child(index(path, i), 'name');
    const name = v.name;
    if (typeof name !== 'string' || name === '') {
      errs.push(required(namePath));
      return;
    }
    for (const msg of isDNS1123Label(name)) errs.push(invalid(namePath, name, msg));
    if (names.has(name)) errs.push(duplicate(namePath, name));
    names.add(name);
  });
  return names;
}

function validateContainer(c: unknown, path: string, names: Set<string>, volumes: Set<string>, errs: FieldError[]): void {
  if (!isRecord(c)) return;
  const namePath = child(path, 'name');
  const name = c.name;
  if (typeof name !== 'string' || name === '') {
    errs.push(required(namePath));
  } else {
    for (const msg of isDNS1123Label(name)) errs.push(invalid(namePath, name, msg));
    if (names.has(name)) errs.push(duplicate(namePath, name));
    names.add(name);
  }
  const image = c.image;
  if (typeof image !== 'string' || image === '') errs.push(required(child(path, 'image')));
  else if (image.trim() !== image) errs.push(invalid(child(path, 'image'), image, 'must not have leading or trailing whitespace'));
  if (typeof c.imagePullPolicy === 'string' && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  }
  validateContainerPorts(c.ports, child(path, 'ports'), errs);
  validateContainerConfig(c, path, errs);
  if (Array.isArray(c.volumeMounts)) {
    c.volumeMounts.forEach((m, i) => {
      if (!isRecord(m)) return;
      const mountPath = index(child(path, 'volumeMounts'), i);
      if (typeof m.name !== 'string' || m.name === '') errs.push(required(child(mountPath, 'name')));
      else if (!volumes.has(m.name)) errs.push(notFound(child(mountPath, 'name'), m.name));
      if (typeof m.mountPath !== 'string' || m.mountPath === '') errs.push(required(child(mountPath, 'mountPath')));
    });
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = optionalRecord(c, probe);
    if (p) validateProbe(p, probe, child(path, probe), errs);
  }
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
const HTTP_SCHEMES = ['HTTP', 'HTTPS'];

function validateProbePort(port: unknown, path: string, numberOnly: boolean, errs: FieldError[]): void {
  if (typeof port === 'number') {
    for (const msg of isValidPortNum(port)) errs.push(invalid(path, port, msg));
  } else if (typeof port === 'string' && !numberOnly) {
    for (const msg of isValidPortName(port)) errs.push(invalid(path, port, msg));
  } else {
    errs.push(required(path));
  }
}

/** Kubernetes' validateProbe, plus the per-kind rules (successThreshold 1 for liveness and startup). */
function validateProbe(p: JsonObject, probe: string, path: string, errs: FieldError[]): void {
  const handlers = PROBE_HANDLERS.filter((h) => isRecord(p[h]));
  if (handlers.length === 0) errs.push(required(path, 'must specify a handler type'));
  for (const extra of handlers.slice(1)) errs.push(forbidden(child(path, extra), 'may not specify more than 1 handler type'));
  const handler = handlers[0];
  const spec = handler === undefined ? {} : (p[handler] as JsonObject);
  const handlerPath = handler === undefined ? path : child(path, handler);
  if (handler === 'exec' && (!Array.isArray(spec.command) || spec.command.length === 0)) errs.push(required(child(handlerPath, 'command')));
  if (handler === 'httpGet' || handler === 'tcpSocket' || handler === 'grpc') validateProbePort(spec.port, child(handlerPath, 'port'), handler === 'grpc', errs);
  if (handler === 'httpGet' && typeof spec.scheme === 'string' && !HTTP_SCHEMES.includes(spec.scheme)) {
    errs.push(notSupported(child(handlerPath, 'scheme'), spec.scheme, HTTP_SCHEMES));
  }
  for (const field of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    const value = p[field];
    if (typeof value === 'number' && value < 0) errs.push(invalid(child(path, field), value, 'must be greater than or equal to 0'));
  }
  const grace = p.terminationGracePeriodSeconds;
  if (probe === 'readinessProbe' && grace !== undefined) {
    errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), grace, 'must not be set for readinessProbes'));
  } else if (typeof grace === 'number' && grace <= 0) {
    errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), grace, 'must be greater than 0'));
  }
  if (probe !== 'readinessProbe' && typeof p.successThreshold === 'number' && p.successThreshold !== 1) {
    errs.push(invalid(child(path, 'successThreshold'), p.successThreshold, 'must be 1'));
  }
}

function validateContainerPorts(ports: unknown, path: string, errs: FieldError[]): void {
  if (!Array.isArray(ports)) return;
  const names = new Set<string>();
  ports.forEach((p, i) => {
    if (!isRecord(p)) return;
    const portPath = index(path, i);
    if (typeof p.name === 'string' && p.name !== '') {
      for (const msg of isValidPortName(p.name)) errs.push(invalid(child(portPath, 'name'), p.name, msg));
      if (names.has(p.name)) errs.push(duplicate(child(portPath, 'name'), p.name));
      names.add(p.name);
    }
    if (p.containerPort === undefined || p.containerPort === 0) {
      errs.push(required(child(portPath, 'containerPort')));
    } else if (typeof p.containerPort === 'number') {
      for (const msg of isValidPortNum(p.containerPort)) errs.push(invalid(child(portPath, 'containerPort'), p.containerPort, msg));
    }
    if (typeof p.hostPort === 'number' && p.hostPort !== 0) {
      for (const msg of isValidPortNum(p.hostPort)) errs.push(invalid(child(portPath, 'hostPort'), p.hostPort, msg));
    }
    if (typeof p.protocol === 'string' && !PROTOCOLS.includes(p.protocol)) {
      errs.push(notSupported(child(portPath, 'protocol'), p.protocol, PROTOCOLS));
    }
  });
}
