/**
 * Pure: Services + EndpointSlices → one record per proxied service port with the endpoints
 * each traffic policy may use. This is kube-proxy's ServicePort/EndpointsMap building plus
 * `CategorizeEndpoints` (pkg/proxy/topology.go), without topology hints: the rules follow from
 * these records alone.
 */
import ipaddr from 'ipaddr.js';
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

/** The label that ties an EndpointSlice to its Service (same namespace). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 h), as Kubernetes. */
export const DEFAULT_AFFINITY_SECONDS = 10_800;

/** Largest affinity timeout the API accepts (1 day). */
const MAX_AFFINITY_SECONDS = 86_400;

export type L4Protocol = 'tcp' | 'udp' | 'sctp';

/** One backend of one service port. */
export interface ProxyEndpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On this node (`endpoint.nodeName` = the proxy's node). */
  local: boolean;
}

/** One service port the proxy programs, with its endpoints sorted out per policy. */
export interface ProxyServicePort {
  namespace: string;
  name: string;
  /** `spec.ports[].name` ('' when unnamed). */
  portName: string;
  protocol: L4Protocol;
  clusterIP: string;
  port: number;
  /** 0 when the service has no NodePort for this port. */
  nodePort: number;
  /** `internalTrafficPolicy: Local`: ClusterIP traffic goes to this node's endpoints only. */
  internalLocal: boolean;
  /** `externalTrafficPolicy: Local` on a NodePort: no masquerade, this node's endpoints only. */
  externalLocal: boolean;
  /** ClientIP affinity timeout in seconds, 0 without affinity. */
  affinitySeconds: number;
  /** Endpoints for "Cluster" policy: ready ones anywhere, else serving+terminating ones. */
  clusterEndpoints: ProxyEndpoint[];
  /** Endpoints for "Local" policy: this node's ready ones, else its serving+terminating ones. */
  localEndpoints: ProxyEndpoint[];
  /** Union of the two lists this port uses (each needs an endpoint chain). */
  reachableEndpoints: ProxyEndpoint[];
  /** Some usable endpoint exists anywhere in the cluster. */
  hasAnyEndpoints: boolean;
}

/** Result of collecting: the ports to program and what was left out (and why). */
export interface CollectedServicePorts {
  ports: ProxyServicePort[];
  skipped: string[];
}

const PROTOCOLS: Record<string, L4Protocol> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

const isPort = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65_535;

const isIPv4 = (ip: unknown): ip is string => typeof ip === 'string' && ipaddr.IPv4.isValidFourPartDecimal(ip);

/** The service's IPv4 cluster IP, or undefined (headless, unallocated, IPv6-only). */
function clusterIPv4(svc: Service): string | undefined {
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : [svc.spec?.clusterIP];
  return ips.find(isIPv4);
}

/** `sessionAffinity: ClientIP` → its timeout (API default when absent or out of range); else 0. */
function affinitySeconds(svc: Service): number {
  if (svc.spec?.sessionAffinity !== 'ClientIP') return 0;
  const t = svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  return Number.isInteger(t) && t! >= 1 && t! <= MAX_AFFINITY_SECONDS ? t! : DEFAULT_AFFINITY_SECONDS;
}

/** Slices per "namespace/service", IPv4 only (the table is `ip` family). */
function slicesByService(slices: readonly EndpointSlice[]): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || slice.addressType !== 'IPv4') continue;
    const key = `${slice.metadata?.namespace ?? 'default'}/${svc}`;
    const list = out.get(key);
    if (list) list.push(slice);
    else out.set(key, [slice]);
  }
  return out;
}

/**
 * The endpoints of one service port across its slices: the slice port with the same name and
 * protocol gives the target port; the first address is the endpoint's (as kube-proxy); an
 * IP:port listed twice keeps its most usable copy. Sorted by IP then port, so a render is
 * deterministic.
 */
function endpointsFor(slices: readonly EndpointSlice[], sp: ServicePort, protocol: L4Protocol, nodeName: string): ProxyEndpoint[] {
  const byKey = new Map<string, ProxyEndpoint>();
  const portName = sp.name ?? '';
  for (const slice of slices) {
    const match = slice.ports?.find((p) => (p.name ?? '') === portName && PROTOCOLS[p.protocol ?? 'TCP'] === protocol);
    if (!match || !isPort(match.port)) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (!isIPv4(ip)) continue;
      const ready = ep.conditions?.ready ?? true;
      const candidate: ProxyEndpoint = {
        ip,
        port: match.port,
        ready,
        serving: ep.conditions?.serving ?? ready,
        terminating: ep.conditions?.terminating ?? false,
        local: ep.nodeName === nodeName,
      };
      const key = `${ip}:${match.port}`;
      const seen = byKey.get(key);
      if (!seen || usability(candidate) > usability(seen)) byKey.set(key, candidate);
    }
  }
  return [...byKey.values()].sort(compareEndpoints);
}

const usability = (ep: ProxyEndpoint): number => (ep.ready ? 2 : ep.serving && ep.terminating ? 1 : 0);

function compareEndpoints(a: ProxyEndpoint, b: ProxyEndpoint): number {
  const ia = ipaddr.IPv4.parse(a.ip).toByteArray();
  const ib = ipaddr.IPv4.parse(b.ip).toByteArray();
  for (let i = 0; i < 4; i++) if (ia[i] !== ib[i]) return ia[i]! - ib[i]!;
  return a.port - b.port;
}

const isServingTerminating = (ep: ProxyEndpoint) => ep.serving && ep.terminating;

/**
 * kube-proxy's CategorizeEndpoints: which endpoints Cluster and Local policy use. Ready ones
 * first; when none is ready, endpoints that still serve while terminating (so a rollout's last
 * pods keep answering instead of the service going dark).
 */
function categorize(all: ProxyEndpoint[], usesCluster: boolean, usesLocal: boolean) {
  let clusterEndpoints: ProxyEndpoint[] = [];
  let localEndpoints: ProxyEndpoint[] = [];
  let hasAnyEndpoints = false;
  if (usesCluster) {
    clusterEndpoints = all.filter((ep) => ep.ready);
    if (clusterEndpoints.length === 0) clusterEndpoints = all.filter(isServingTerminating);
    hasAnyEndpoints = clusterEndpoints.length > 0;
  }
  if (!usesLocal) return { clusterEndpoints, localEndpoints, reachableEndpoints: clusterEndpoints, hasAnyEndpoints };

  if (all.some((ep) => ep.ready || isServingTerminating(ep))) hasAnyEndpoints = true;
  localEndpoints = all.filter((ep) => ep.local && ep.ready);
  if (localEndpoints.length === 0) localEndpoints = all.filter((ep) => ep.local && isServingTerminating(ep));
  if (!usesCluster) return { clusterEndpoints, localEndpoints, reachableEndpoints: localEndpoints, hasAnyEndpoints };

  const reachable = new Set([...clusterEndpoints, ...localEndpoints]);
  return { clusterEndpoints, localEndpoints, reachableEndpoints: all.filter((ep) => reachable.has(ep)), hasAnyEndpoints };
}

/**
 * Every service port the proxy should program. Headless (clusterIP None), ExternalName and
 * IPv6-only services get nothing; a port with an unknown protocol or an out-of-range number is
 * skipped and named in `skipped` (the API should have refused it, but a bad object must not
 * break every other service's rules).
 */
export function collectServicePorts(
  services: readonly Service[],
  endpointSlices: readonly EndpointSlice[],
  nodeName: string,
): CollectedServicePorts {
  const slices = slicesByService(endpointSlices);
  const ports: ProxyServicePort[] = [];
  const skipped: string[] = [];
  const vips = new Map<string, string>();
  const nodePorts = new Map<string, string>();
  for (const svc of services) {
    const namespace = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    const id = `${namespace}/${name}`;
    if (svc.spec?.type === 'ExternalName') continue;
    const clusterIP = clusterIPv4(svc);
    if (!clusterIP) continue; // headless or not (yet) allocated: DNS answers with pod IPs, no proxying
    const type = svc.spec?.type ?? 'ClusterIP';
    const externallyAccessible = type === 'NodePort' || type === 'LoadBalancer';
    const internalLocal = svc.spec?.internalTrafficPolicy === 'Local';
    const affinity = affinitySeconds(svc);
    for (const sp of svc.spec?.ports ?? []) {
      const protocol = PROTOCOLS[sp.protocol ?? 'TCP'];
      const where = `${id} port ${sp.name || sp.port}`;
      if (!protocol) {
        skipped.push(`${where}: protocol ${sp.protocol} is not TCP, UDP or SCTP`);
        continue;
      }
      if (!isPort(sp.port)) {
        skipped.push(`${where}: port ${sp.port} is out of range`);
        continue;
      }
      // Two services on one ClusterIP:port or one NodePort (the API refuses both, but a stale
      // watch can briefly hold an old and a new object): nft refuses duplicate map keys, which
      // would fail the whole table, so the first one keeps it.
      const vip = `${clusterIP}/${protocol}/${sp.port}`;
      if (vips.has(vip)) {
        skipped.push(`${where}: ${clusterIP}:${sp.port}/${protocol} already belongs to ${vips.get(vip)}`);
        continue;
      }
      let nodePort = externallyAccessible && isPort(sp.nodePort) ? sp.nodePort : 0;
      const np = `${protocol}/${nodePort}`;
      if (nodePort && nodePorts.has(np)) {
        skipped.push(`${where}: nodePort ${nodePort}/${protocol} already belongs to ${nodePorts.get(np)}; serving the ClusterIP only`);
        nodePort = 0;
      }
      vips.set(vip, id);
      if (nodePort) nodePorts.set(np, id);
      const externalLocal = nodePort !== 0 && svc.spec?.externalTrafficPolicy === 'Local';
      // As kube-proxy: Cluster endpoints serve ClusterIP traffic unless it is Local, and any
      // external traffic (even with Local policy, pods and the node itself short-circuit to them).
      const usesCluster = !internalLocal || nodePort !== 0;
      const usesLocal = internalLocal || externalLocal;
      const all = endpointsFor(slices.get(id) ?? [], sp, protocol, nodeName);
      ports.push({
        namespace,
        name,
        portName: sp.name ?? '',
        protocol,
        clusterIP,
        port: sp.port,
        nodePort,
        internalLocal,
        externalLocal,
        affinitySeconds: affinity,
        ...categorize(all, usesCluster, usesLocal),
      });
    }
  }
  return { ports, skipped };
}
