/**
 * Pod spec rules Kubernetes checks and the schema cannot: containers present, names unique DNS
 * labels, image set, enum values, ports in range. Shared by Pods and every pod template.
 * Run after `applyDefaults`: absent enum fields are left to defaulting, not reported.
 */
import { child, duplicate, index, invalid, notFound, notSupported, required, type FieldError } from '../field.ts';
import { isRecord, optionalRecord, type JsonObject } from '../object.ts';
import { isDNS1123Label, isValidPortName, isValidPortNum } from './names.ts';

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
    const port = optionalRecord(p, 'httpGet')?.port ?? optionalRecord(p, 'tcpSocket')?.port;
    if (typeof port === 'number' && isValidPortNum(port).length) {
      const which = optionalRecord(p, 'httpGet') ? 'httpGet' : 'tcpSocket';
      errs.push(invalid(child(child(child(path, probe), which), 'port'), port, 'must be between 1 and 65535, inclusive'));
    }
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
