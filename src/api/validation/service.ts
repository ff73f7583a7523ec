/**
 * Service, Endpoints and EndpointSlice rules (Kubernetes' ValidateService, ValidateServiceUpdate,
 * ValidateEndpoints and discovery's ValidateEndpointSlice), with Kubernetes' wording. What the
 * allocators decide (an IP or port in range, free) is checked in the registry, not here.
 */
import ipaddr from 'ipaddr.js';
import { child, duplicate, forbidden, index, invalid, notSupported, required, tooMany, valueText, type FieldError } from '../field.ts';
import { optionalRecord, recordList, type JsonObject, type KubeObject } from '../object.ts';
import { CLUSTER_IP_NONE, isHeadless, needsHealthCheckNodePort, needsNodePort, serviceType } from '../service.ts';
import { validateLabels } from './meta.ts';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum } from './names.ts';
import { PROTOCOLS } from './pod.ts';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
/** Kubernetes' MaxClientIPServiceAffinitySeconds (one day). */
const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;
const MAX_SLICE_ENDPOINTS = 1000;
const MAX_ENDPOINT_ADDRESSES = 100;
const MAX_SLICE_PORTS = 20000;

export const INVALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/** True for a dotted-quad IPv4 or an IPv6 address, as Kubernetes' IsValidIP. */
export function isValidIP(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value) || (value.includes(':') && ipaddr.IPv6.isValid(value));
}

/** Go's `%#v` of a []string, which Kubernetes prints for list-valued field errors: `[]string{"a", "b"}`. */
export function goStringSlice(values: readonly string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** An Invalid error whose value is already rendered (Go slices and structs). */
export function invalidRendered(field: string, rendered: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${rendered}: ${detail}` };
}

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function validateService(obj: KubeObject): FieldError[] {
  const spec = optionalRecord(obj, 'spec') ?? {};
  const errs: FieldError[] = [];
  const type = serviceType(obj);
  const headless = isHeadless(obj);
  const ports = recordList(spec, 'ports');
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  if ((type === 'LoadBalancer' || type === 'NodePort') && headless) {
    errs.push(invalid(index('spec.clusterIPs', 0), CLUSTER_IP_NONE, `may not be set to 'None' for ${type} services`));
  }
  if (type === 'ExternalName') errs.push(...validateExternalName(spec));

  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, index('spec.ports', i))));
  if (spec.selector !== undefined) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  errs.push(...validateSessionAffinity(spec));
  errs.push(...validateClusterIPs(obj));
  stringList(spec.externalIPs).forEach((ip, i) => {
    if (!isValidIP(ip)) errs.push(invalid(index('spec.externalIPs', i), ip, INVALID_IP));
  });
  if (spec.type !== undefined && !SERVICE_TYPES.includes(valueText(spec.type))) errs.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (typeof p.nodePort === 'number' && p.nodePort !== 0) errs.push(forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  errs.push(...duplicatePorts(ports));
  errs.push(...validateTrafficPolicies(obj, spec));
  if (spec.allocateLoadBalancerNodePorts !== undefined && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  return errs;
}

function validateExternalName(spec: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  if (stringList(spec.clusterIPs).length > 0 || (typeof spec.clusterIP === 'string' && spec.clusterIP !== '')) {
    errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
  }
  if (stringList(spec.ipFamilies).length > 0) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
  if (spec.ipFamilyPolicy !== undefined) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
  // The CNAME may end in a dot to mark it fully qualified.
  const cname = typeof spec.externalName === 'string' ? spec.externalName.replace(/\.$/, '') : '';
  if (cname === '') errs.push(required('spec.externalName'));
  else for (const msg of isDNS1123Subdomain(cname)) errs.push(invalid('spec.externalName', cname, msg));
  return errs;
}

function validateServicePort(p: JsonObject, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof p.name === 'string' && p.name !== '') {
    for (const msg of isDNS1123Label(p.name)) errs.push(invalid(child(path, 'name'), p.name, msg));
    if (names.has(p.name)) errs.push(duplicate(child(path, 'name'), p.name));
    names.add(p.name);
  } else if (requireName) {
    errs.push(required(child(path, 'name')));
  }
  if (typeof p.port === 'number') for (const msg of isValidPortNum(p.port)) errs.push(invalid(child(path, 'port'), p.port, msg));
  else if (p.port === undefined) errs.push(required(child(path, 'port')));
  if (p.protocol === undefined || p.protocol === '') errs.push(required(child(path, 'protocol')));
  else if (!PROTOCOLS.includes(valueText(p.protocol))) errs.push(notSupported(child(path, 'protocol'), p.protocol, PROTOCOLS));
  const target = p.targetPort;
  if (typeof target === 'number') for (const msg of isValidPortNum(target)) errs.push(invalid(child(path, 'targetPort'), target, msg));
  if (typeof target === 'string') for (const msg of isValidPortName(target)) errs.push(invalid(child(path, 'targetPort'), target, msg));
  return errs;
}

/** How Go prints the (protocol, port) key of a duplicate service port. */
function goServicePortKey(protocol: string, port: unknown): string {
  return `core.ServicePort{Name:"", Protocol:"${protocol}", AppProtocol:(*string)(nil), Port:${valueText(port)}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function duplicatePorts(ports: JsonObject[]): FieldError[] {
  const errs: FieldError[] = [];
  const nodePorts = new Set<string>();
  const servicePorts = new Set<string>();
  ports.forEach((p, i) => {
    const path = index('spec.ports', i);
    const protocol = valueText(p.protocol ?? 'TCP');
    if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
      const key = `${protocol}/${p.nodePort}`;
      if (nodePorts.has(key)) errs.push(duplicate(child(path, 'nodePort'), p.nodePort));
      nodePorts.add(key);
    }
    const key = `${protocol}/${valueText(p.port)}`;
    if (servicePorts.has(key)) errs.push({ type: 'FieldValueDuplicate', field: path, message: `Duplicate value: ${goServicePortKey(protocol, p.port)}` });
    servicePorts.add(key);
  });
  return errs;
}

function validateSessionAffinity(spec: JsonObject): FieldError[] {
  const affinity = spec.sessionAffinity;
  if (affinity === undefined || affinity === '') return [required('spec.sessionAffinity')];
  if (!SESSION_AFFINITIES.includes(valueText(affinity))) return [notSupported('spec.sessionAffinity', affinity, SESSION_AFFINITIES)];
  const config = optionalRecord(spec, 'sessionAffinityConfig');
  if (affinity === 'None') return config ? [forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None')] : [];
  const timeout = optionalRecord(config, 'clientIP')?.timeoutSeconds;
  if (typeof timeout !== 'number' || timeout <= 0 || timeout > MAX_CLIENT_IP_AFFINITY_SECONDS) {
    return [invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout ?? 0, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`)];
  }
  return [];
}

/** ValidateServiceClusterIPsRelatedFields. */
function validateClusterIPs(obj: KubeObject): FieldError[] {
  if (serviceType(obj) === 'ExternalName') return [];
  const spec = optionalRecord(obj, 'spec') ?? {};
  const errs: FieldError[] = [];
  const clusterIP = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
  const ips = stringList(spec.clusterIPs);
  if (clusterIP !== '') {
    if (ips.length === 0) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== clusterIP) errs.push(invalidRendered('spec.clusterIPs', goStringSlice(ips), 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    errs.push(invalidRendered('spec.clusterIPs', goStringSlice(ips), 'must be empty when `clusterIP` is not specified'));
  }
  const families = stringList(spec.ipFamilies);
  families.forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(notSupported(index('spec.ipFamilies', i), f, IP_FAMILIES));
    if (families.indexOf(f) < i) errs.push(duplicate(index('spec.ipFamilies', i), f));
  });
  if (spec.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(valueText(spec.ipFamilyPolicy))) {
    errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }
  let badIP = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === CLUSTER_IP_NONE) {
      if (ips.length > 1) {
        badIP = true;
        errs.push(invalidRendered('spec.clusterIPs', goStringSlice(ips), "'None' must be the first and only value"));
      }
      return;
    }
    if (!isValidIP(ip)) {
      badIP = true;
      errs.push(invalid(index('spec.clusterIPs', i), ip, INVALID_IP));
    }
  });
  if (ips.length > 2) errs.push(invalidRendered('spec.clusterIPs', goStringSlice(ips), 'may only hold up to 2 values'));
  if (badIP || isHeadless(obj)) return errs;
  ips.forEach((ip, i) => {
    const family = families[i];
    if (family === 'IPv4' && ip.includes(':')) errs.push(invalid(index('spec.clusterIPs', i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
    if (family === 'IPv6' && !ip.includes(':')) errs.push(invalid(index('spec.clusterIPs', i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
  });
  return errs;
}

function validateTrafficPolicies(obj: KubeObject, spec: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const external = spec.externalTrafficPolicy;
  if (external !== undefined && external !== '') {
    if (!needsNodePort(obj)) errs.push(invalid('spec.externalTrafficPolicy', external, 'may only be set for externally-accessible services'));
    else if (!TRAFFIC_POLICIES.includes(valueText(external))) errs.push(notSupported('spec.externalTrafficPolicy', external, TRAFFIC_POLICIES));
  }
  const internal = spec.internalTrafficPolicy;
  if (internal !== undefined && !TRAFFIC_POLICIES.includes(valueText(internal))) errs.push(notSupported('spec.internalTrafficPolicy', internal, TRAFFIC_POLICIES));
  const hc = spec.healthCheckNodePort;
  if (typeof hc === 'number' && hc !== 0 && !needsHealthCheckNodePort(obj)) {
    errs.push(invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  return errs;
}

/**
 * ValidateServiceUpdate's address rules: the primary cluster IP and IP family never change,
 * except to or from ExternalName (and between headless forms).
 */
export function validateServiceUpdate(oldObj: KubeObject, newObj: KubeObject): FieldError[] {
  if (serviceType(oldObj) === 'ExternalName' || serviceType(newObj) === 'ExternalName') return [];
  if (isHeadless(oldObj) && isHeadless(newObj)) return [];
  const errs: FieldError[] = [];
  const oldSpec = optionalRecord(oldObj, 'spec') ?? {};
  const newSpec = optionalRecord(newObj, 'spec') ?? {};
  const oldIPs = stringList(oldSpec.clusterIPs);
  const newIPs = stringList(newSpec.clusterIPs);
  if (oldIPs.length > 0 && newIPs.length === 0) {
    errs.push(invalidRendered(index('spec.clusterIPs', 0), goStringSlice(newIPs), 'primary clusterIP can not be unset'));
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(invalidRendered(index('spec.clusterIPs', 0), goStringSlice(newIPs), 'may not change once set'));
  }
  if (isHeadless(oldObj) !== isHeadless(newObj)) return errs;
  const oldFamilies = stringList(oldSpec.ipFamilies);
  const newFamilies = stringList(newSpec.ipFamilies);
  if (oldFamilies.length > 0 && newFamilies.length > 0 && oldFamilies[0] !== newFamilies[0]) {
    errs.push(invalidRendered(index('spec.ipFamilies', 0), `[]core.IPFamily{${newFamilies.map((f) => JSON.stringify(f)).join(', ')}}`, 'may not change once set'));
  }
  return errs;
}

/** ValidateEndpoints: addresses are IPs, ports valid and named when several. */
export function validateEndpoints(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  recordList(obj, 'subsets').forEach((subset, s) => {
    const path = index('subsets', s);
    for (const list of ['addresses', 'notReadyAddresses']) {
      recordList(subset, list).forEach((addr, a) => {
        const ipPath = child(index(child(path, list), a), 'ip');
        if (typeof addr.ip !== 'string' || addr.ip === '') errs.push(required(ipPath));
        else if (!isValidIP(addr.ip)) errs.push(invalid(ipPath, addr.ip, INVALID_IP));
        if (typeof addr.hostname === 'string' && addr.hostname !== '') for (const msg of isDNS1123Label(addr.hostname)) errs.push(invalid(child(index(child(path, list), a), 'hostname'), addr.hostname, msg));
      });
    }
    const ports = recordList(subset, 'ports');
    const names = new Set<string>();
    ports.forEach((p, i) => {
      const pp = index(child(path, 'ports'), i);
      if (ports.length > 1 && (typeof p.name !== 'string' || p.name === '')) errs.push(required(child(pp, 'name')));
      if (typeof p.name === 'string' && p.name !== '') {
        for (const msg of isDNS1123Label(p.name)) errs.push(invalid(child(pp, 'name'), p.name, msg));
        if (names.has(p.name)) errs.push(duplicate(child(pp, 'name'), p.name));
        names.add(p.name);
      }
      if (typeof p.port === 'number') for (const msg of isValidPortNum(p.port)) errs.push(invalid(child(pp, 'port'), p.port, msg));
      if (typeof p.protocol === 'string' && !PROTOCOLS.includes(p.protocol)) errs.push(notSupported(child(pp, 'protocol'), p.protocol, PROTOCOLS));
    });
  });
  return errs;
}

/** ValidateEndpointSlice (discovery.k8s.io/v1). */
export function validateEndpointSlice(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const addressType = obj.addressType;
  if (addressType === undefined || addressType === '') errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(valueText(addressType))) errs.push(notSupported('addressType', addressType, ADDRESS_TYPES));
  const endpoints = recordList(obj, 'endpoints');
  if (endpoints.length > MAX_SLICE_ENDPOINTS) errs.push(tooMany('endpoints', endpoints.length, MAX_SLICE_ENDPOINTS));
  endpoints.forEach((ep, i) => {
    const path = index('endpoints', i);
    const addresses = stringList(ep.addresses);
    if (addresses.length === 0) errs.push(required(child(path, 'addresses'), 'must contain at least 1 address'));
    else if (addresses.length > MAX_ENDPOINT_ADDRESSES) errs.push(tooMany(child(path, 'addresses'), addresses.length, MAX_ENDPOINT_ADDRESSES));
    addresses.forEach((address, a) => {
      const ap = index(child(path, 'addresses'), a);
      if (addressType === 'IPv4' && !ipaddr.IPv4.isValidFourPartDecimal(address)) errs.push(invalid(ap, address, 'must be a valid IPv4 address'));
      if (addressType === 'IPv6' && !(address.includes(':') && ipaddr.IPv6.isValid(address))) errs.push(invalid(ap, address, 'must be a valid IPv6 address'));
      if (addressType === 'FQDN') for (const msg of isDNS1123Subdomain(address)) errs.push(invalid(ap, address, msg));
    });
    if (typeof ep.hostname === 'string') for (const msg of isDNS1123Label(ep.hostname)) errs.push(invalid(child(path, 'hostname'), ep.hostname, msg));
    if (typeof ep.nodeName === 'string') for (const msg of isDNS1123Subdomain(ep.nodeName)) errs.push(invalid(child(path, 'nodeName'), ep.nodeName, msg));
  });
  const ports = recordList(obj, 'ports');
  if (ports.length > MAX_SLICE_PORTS) errs.push(tooMany('ports', ports.length, MAX_SLICE_PORTS));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = index('ports', i);
    const name = typeof p.name === 'string' ? p.name : '';
    if (name !== '') for (const msg of isDNS1123Label(name)) errs.push(invalid(child(path, 'name'), name, msg));
    if (names.has(name)) errs.push(duplicate(child(path, 'name'), name));
    names.add(name);
    if (p.protocol === undefined) errs.push(required(child(path, 'protocol')));
    else if (!PROTOCOLS.includes(valueText(p.protocol))) errs.push(notSupported(child(path, 'protocol'), p.protocol, PROTOCOLS));
    if (typeof p.port === 'number' && p.port !== 0) for (const msg of isValidPortNum(p.port)) errs.push(invalid(child(path, 'port'), p.port, msg));
  });
  return errs;
}

/** EndpointSlice update rule: addressType is immutable. */
export function validateEndpointSliceUpdate(oldObj: KubeObject, newObj: KubeObject): FieldError[] {
  return oldObj.addressType === newObj.addressType ? [] : [invalid('addressType', newObj.addressType ?? null, 'field is immutable')];
}
