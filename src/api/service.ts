/**
 * Service facts and the Service strategy (Kubernetes' pkg/registry/core/service/strategy.go):
 * which types need a cluster IP or node ports, and how create and update prepare a Service
 * before validation — `clusterIPs` kept in step with `clusterIP`, allocated values carried over
 * when an update omits them, values a type no longer needs dropped when the user did not touch
 * them. Pure; the allocation itself happens in the registry (src/registry/allocators).
 */
import { childRecord, isRecord, jsonEqual, optionalRecord, recordList, type JsonObject, type KubeObject } from './object.ts';

export const CLUSTER_IP_NONE = 'None';

const specOf = (svc: KubeObject): JsonObject => optionalRecord(svc, 'spec') ?? {};

/** `spec.type`, `ClusterIP` when absent. */
export function serviceType(svc: KubeObject): string {
  const type = specOf(svc).type;
  return typeof type === 'string' && type !== '' ? type : 'ClusterIP';
}

/** Every type but ExternalName has a cluster IP (or `None`). */
export function needsClusterIP(svc: KubeObject): boolean {
  return serviceType(svc) !== 'ExternalName';
}

/** NodePort and LoadBalancer services get a node port per service port. */
export function needsNodePort(svc: KubeObject): boolean {
  const type = serviceType(svc);
  return type === 'NodePort' || type === 'LoadBalancer';
}

/** LoadBalancer with externalTrafficPolicy Local gets a health-check node port (Kubernetes' NeedsHealthCheck). */
export function needsHealthCheckNodePort(svc: KubeObject): boolean {
  return serviceType(svc) === 'LoadBalancer' && specOf(svc).externalTrafficPolicy === 'Local';
}

/** A LoadBalancer service allocates node ports unless `allocateLoadBalancerNodePorts: false`. */
export function allocatesNodePorts(svc: KubeObject): boolean {
  const type = serviceType(svc);
  return type === 'NodePort' || (type === 'LoadBalancer' && specOf(svc).allocateLoadBalancerNodePorts !== false);
}

/** `clusterIP: None` (or `clusterIPs: [None]`). */
export function isHeadless(svc: KubeObject): boolean {
  const spec = specOf(svc);
  const ips = stringList(spec.clusterIPs);
  return spec.clusterIP === CLUSTER_IP_NONE || (ips.length === 1 && ips[0] === CLUSTER_IP_NONE);
}

/** `spec.clusterIPs` as strings ([] when absent). */
export function clusterIPsOf(svc: KubeObject): string[] {
  return stringList(specOf(svc).clusterIPs);
}

/** The node ports a service holds, in port order, without zeroes or repeats. */
export function nodePortsOf(svc: KubeObject): number[] {
  const out: number[] = [];
  for (const p of recordList(specOf(svc), 'ports')) {
    if (typeof p.nodePort === 'number' && p.nodePort !== 0 && !out.includes(p.nodePort)) out.push(p.nodePort);
  }
  return out;
}

/** `spec.healthCheckNodePort`, 0 when unset. */
export function healthCheckNodePortOf(svc: KubeObject): number {
  const v = specOf(svc).healthCheckNodePort;
  return typeof v === 'number' ? v : 0;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** PrepareForCreate: a fresh status, and `clusterIPs` initialised from a lone `clusterIP`. */
export function prepareServiceForCreate(svc: KubeObject): void {
  svc.status = { loadBalancer: {} };
  const spec = childRecord(svc, 'spec');
  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && stringList(spec.clusterIPs).length === 0) spec.clusterIPs = [spec.clusterIP];
}

/** PrepareForUpdate: patchAllocatedValues, normalizeClusterIPs, dropTypeDependentFields (in that order, as Kubernetes). */
export function prepareServiceForUpdate(oldSvc: KubeObject, svc: KubeObject): void {
  patchAllocatedValues(oldSvc, svc);
  normalizeClusterIPs(oldSvc, svc);
  dropTypeDependentFields(oldSvc, svc);
}

/** Values the server allocated stay when an update (a PUT without them) omits them. */
function patchAllocatedValues(oldSvc: KubeObject, svc: KubeObject): void {
  const oldSpec = specOf(oldSvc);
  const spec = childRecord(svc, 'spec');
  if (needsClusterIP(oldSvc) && needsClusterIP(svc)) {
    if ((spec.clusterIP === undefined || spec.clusterIP === '') && oldSpec.clusterIP !== undefined) spec.clusterIP = oldSpec.clusterIP;
    if (stringList(spec.clusterIPs).length === 0 && stringList(oldSpec.clusterIPs).length > 0) spec.clusterIPs = structuredClone(oldSpec.clusterIPs);
  }
  if (needsNodePort(oldSvc) && needsNodePort(svc)) {
    // Ports still in use by the new spec cannot be patched into another port.
    const used = new Set(nodePortsOf(oldSvc).filter((p) => nodePortsOf(svc).includes(p)));
    const byName = new Map<string, number>();
    for (const p of recordList(oldSpec, 'ports')) if (typeof p.nodePort === 'number') byName.set(String(p.name ?? ''), p.nodePort);
    for (const p of recordList(spec, 'ports')) {
      if (p.nodePort !== undefined && p.nodePort !== 0) continue;
      const old = byName.get(String(p.name ?? ''));
      if (old !== undefined && !used.has(old)) p.nodePort = old;
    }
  }
  if (needsHealthCheckNodePort(oldSvc) && needsHealthCheckNodePort(svc) && !healthCheckNodePortOf(svc) && healthCheckNodePortOf(oldSvc)) {
    spec.healthCheckNodePort = healthCheckNodePortOf(oldSvc);
  }
  for (const f of ['ipFamilies', 'ipFamilyPolicy']) {
    if (needsClusterIP(oldSvc) && needsClusterIP(svc) && spec[f] === undefined && oldSpec[f] !== undefined) spec[f] = structuredClone(oldSpec[f]);
  }
}

/** A client that changed only the singular `clusterIP` meant the plural too. */
function normalizeClusterIPs(oldSvc: KubeObject, svc: KubeObject): void {
  const oldSpec = specOf(oldSvc);
  const spec = childRecord(svc, 'spec');
  const ip = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
  const ips = stringList(spec.clusterIPs);
  if (ip !== '' && ips.length === 0) spec.clusterIPs = [ip];
  else if (ip !== oldSpec.clusterIP && jsonEqual(ips, stringList(oldSpec.clusterIPs)) && ip !== '') spec.clusterIPs = [ip, ...ips.slice(1)];
}

/** Values a type no longer needs are wiped when the user left them as they were (they are released). */
function dropTypeDependentFields(oldSvc: KubeObject, svc: KubeObject): void {
  const oldSpec = specOf(oldSvc);
  const spec = childRecord(svc, 'spec');
  if (needsClusterIP(oldSvc) && !needsClusterIP(svc)) {
    if (spec.clusterIP === oldSpec.clusterIP && jsonEqual(spec.clusterIPs, oldSpec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (jsonEqual(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === oldSpec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(oldSvc) && !needsNodePort(svc) && sameNodePorts(oldSvc, svc)) {
    for (const p of recordList(spec, 'ports')) delete p.nodePort;
  }
  if (needsHealthCheckNodePort(oldSvc) && !needsHealthCheckNodePort(svc) && healthCheckNodePortOf(oldSvc) === healthCheckNodePortOf(svc)) {
    delete spec.healthCheckNodePort;
  }
  if (serviceType(oldSvc) === 'LoadBalancer' && serviceType(svc) !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === oldSpec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (needsNodePort(oldSvc) && !needsNodePort(svc) && spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  // No load balancer any more: its status goes with it.
  if (serviceType(svc) !== 'LoadBalancer' && isRecord(svc.status)) svc.status = { ...svc.status, loadBalancer: {} };
}

/** Same node port values, port by port (Kubernetes' sameNodePorts). */
function sameNodePorts(oldSvc: KubeObject, svc: KubeObject): boolean {
  const a = recordList(specOf(oldSvc), 'ports').map((p) => p.nodePort ?? 0);
  const b = recordList(specOf(svc), 'ports').map((p) => p.nodePort ?? 0);
  return jsonEqual(a, b);
}
