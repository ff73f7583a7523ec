/**
 * The core/v1 Endpoints object of a Service with a selector, as Kubernetes' endpoints controller
 * (pkg/controller/endpoint) writes it: one address per pod and port set, ready pods in
 * `addresses`, the others in `notReadyAddresses` (all ready with publishNotReadyAddresses),
 * terminating pods left out unless publishNotReadyAddresses, subsets repacked into the
 * canonical form (RepackSubsets: addresses grouped by the exact set of ports they serve) and
 * cut at 1000 addresses. Pure.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import { jsonEqual } from '../../api/object.ts';
import { findPort, isPodReady, podIP, shouldPodBeInEndpoints, shouldSetHostname } from './pod-endpoints.ts';
import { ANNOTATION_OVER_CAPACITY, ANNOTATION_TRIGGER_TIME, LABEL_HEADLESS, MAX_ENDPOINTS_ADDRESSES } from './names.ts';

/** The subsets a Service's Endpoints should hold for `pods` (already filtered by its selector). */
export function endpointSubsets(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const ports = service.spec?.ports ?? [];
  const headless = service.spec?.clusterIP === 'None';
  // address key → address and readiness; port key → the address keys serving it.
  const addresses = new Map<string, { addr: EndpointAddress; ready: boolean }>();
  const byPort = new Map<string, { port: EndpointPort | undefined; addrs: Set<string> }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr: EndpointAddress = {
      ip: podIP(pod) as string,
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    };
    if (shouldSetHostname(pod, service)) addr.hostname = pod.spec?.hostname;
    const addrKey = `${addr.ip}/${pod.metadata?.uid ?? ''}`;
    addresses.set(addrKey, { addr, ready: publishNotReady || isPodReady(pod) });
    if (ports.length === 0) {
      // A headless Service may have no ports: its addresses still count (a portless subset).
      if (headless) portSet(byPort, undefined).add(addrKey);
      continue;
    }
    for (const sp of ports) {
      const number = findPort(pod, sp);
      if (number === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? '', port: number, protocol: sp.protocol ?? 'TCP' };
      if (!sp.name) delete ep.name;
      if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
      portSet(byPort, ep).add(addrKey);
    }
  }
  // RepackSubsets: ports whose address sets are equal share one subset.
  const bySet = new Map<string, { addrs: string[]; ports: EndpointPort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const keys = [...addrs].sort();
    const setKey = keys.join('|');
    let subset = bySet.get(setKey);
    if (!subset) bySet.set(setKey, (subset = { addrs: keys, ports: [] }));
    if (port) subset.ports.push(port);
  }
  const subsets: EndpointSubset[] = [];
  for (const { addrs, ports: subsetPorts } of bySet.values()) {
    const entries = addrs.map((k) => addresses.get(k)!).sort((a, b) => compareAddresses(a.addr, b.addr));
    const subset: EndpointSubset = {};
    const ready = entries.filter((e) => e.ready).map((e) => e.addr);
    const notReady = entries.filter((e) => !e.ready).map((e) => e.addr);
    if (ready.length) subset.addresses = ready;
    if (notReady.length) subset.notReadyAddresses = notReady;
    if (subsetPorts.length) subset.ports = subsetPorts.sort(comparePorts);
    subsets.push(subset);
  }
  return subsets.sort((a, b) => subsetSortKey(a).localeCompare(subsetSortKey(b)));
}

function portSet(byPort: Map<string, { port: EndpointPort | undefined; addrs: Set<string> }>, port: EndpointPort | undefined): Set<string> {
  const key = JSON.stringify(port ?? null);
  let entry = byPort.get(key);
  if (!entry) byPort.set(key, (entry = { port, addrs: new Set() }));
  return entry.addrs;
}

/** addrsByIPAndUID: by IP (numerically for IPv4), then by pod uid. */
function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  const ipOrder = ipNumber(a.ip) - ipNumber(b.ip);
  if (ipOrder !== 0) return ipOrder;
  return (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || (a.protocol ?? '').localeCompare(b.protocol ?? '');
}

function subsetSortKey(s: EndpointSubset): string {
  const first = s.addresses?.[0] ?? s.notReadyAddresses?.[0];
  return `${String(ipNumber(first?.ip ?? '0')).padStart(12, '0')}/${JSON.stringify(s.ports ?? [])}`;
}

/**
 * Cuts the subsets at 1000 addresses (ready ones kept first), as Kubernetes' truncateEndpoints
 * does; true when something was cut.
 */
export function truncateSubsets(subsets: EndpointSubset[]): boolean {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (total <= MAX_ENDPOINTS_ADDRESSES) return false;
  let budget = MAX_ENDPOINTS_ADDRESSES;
  for (const s of subsets) {
    s.addresses = s.addresses?.slice(0, Math.max(0, budget));
    budget -= s.addresses?.length ?? 0;
  }
  for (const s of subsets) {
    s.notReadyAddresses = s.notReadyAddresses?.slice(0, Math.max(0, budget));
    budget -= s.notReadyAddresses?.length ?? 0;
  }
  return true;
}

/**
 * The Endpoints object to store for `service`, built on `current` (annotations and labels the
 * controller does not own are kept): Service labels, the headless label, the trigger time and
 * the over-capacity mark. Undefined when `current` already says the same (nothing to write).
 */
export function desiredEndpoints(service: Service, subsets: EndpointSubset[], current: Endpoints | undefined, triggerTime: string | undefined, headless: boolean): Endpoints | undefined {
  const truncated = truncateSubsets(subsets);
  const labels: Record<string, string> = { ...(service.metadata?.labels ?? {}) };
  if (headless) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  if (current) {
    const overCapacityRight = (current.metadata?.annotations?.[ANNOTATION_OVER_CAPACITY] === 'truncated') === truncated;
    if (jsonEqual(current.subsets ?? [], subsets) && jsonEqual(current.metadata?.labels ?? {}, labels) && overCapacityRight) return undefined;
  }
  const annotations: Record<string, string> = { ...(current?.metadata?.annotations ?? {}) };
  if (triggerTime) annotations[ANNOTATION_TRIGGER_TIME] = triggerTime;
  if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';
  else delete annotations[ANNOTATION_OVER_CAPACITY];
  const metadata: Endpoints['metadata'] = {
    ...(current?.metadata ?? {}),
    name: service.metadata?.name,
    namespace: service.metadata?.namespace,
    labels,
  };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  const out: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata };
  if (subsets.length > 0) out.subsets = subsets;
  return out;
}
