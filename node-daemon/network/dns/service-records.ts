/**
 * The DNS records one Service owns (pure), per the Kubernetes DNS specification
 * (https://github.com/kubernetes/dns/blob/master/docs/specification.md) with CoreDNS' kubernetes
 * plugin as the reference where the specification leaves room. Every name a Service owns lies
 * under `<service>.<ns>.svc.<zone>`, so one Service's records can be rebuilt without touching any
 * other's; only reverse (PTR) names may be shared between Services.
 */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice, EndpointPort } from 'kubernetes-types/discovery/v1.js';
import { addressLabel, normalizeName, parseAddress, reverseNameOf, type AddressFamily } from './names.ts';

/** The label EndpointSlices name their Service with (the EndpointSlice controller sets it). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface SrvTarget {
  port: number;
  /** Normalized target name. */
  target: string;
  priority: number;
  weight: number;
}

/** Records at one name. A name with none is an empty non-terminal: it exists (NODATA, not NXDOMAIN). */
export interface NameRecords {
  /** IPv4 addresses (A). */
  readonly a: readonly string[];
  /** IPv6 addresses (AAAA). */
  readonly aaaa: readonly string[];
  readonly srv: readonly SrvTarget[];
  /** Normalized CNAME target (ExternalName Services); a name with a CNAME has no other records. */
  readonly cname?: string;
}

export interface PtrRecord {
  /** Normalized reverse name (`…in-addr.arpa` / `…ip6.arpa`). */
  reverse: string;
  /** Normalized name the address belongs to. */
  target: string;
  /** A ClusterIP's PTR wins over endpoint PTRs for the same address (as CoreDNS answers). */
  clusterIP: boolean;
}

export interface ServiceRecordSet {
  /** Normalized owner name → its records. */
  readonly names: ReadonlyMap<string, NameRecords>;
  readonly ptrs: readonly PtrRecord[];
}

/** `<service>.<ns>.svc.<zone>` (normalized; zone normalized). */
export function serviceDomain(namespace: string, name: string, zone: string): string {
  return normalizeName(zone === '' ? `${name}.${namespace}.svc` : `${name}.${namespace}.svc.${zone}`);
}

/** Records at one name while a Service is built: duplicates are dropped when it is frozen. */
interface MutableNameRecords {
  a: string[];
  aaaa: string[];
  srv: { port: number; target: string }[];
  cname?: string;
}

/** A ready endpoint address of the Service, with the hostname it is known by under the Service. */
interface EndpointAddress {
  address: string;
  family: AddressFamily;
  hostname: string;
  ports: readonly EndpointPort[];
}

/**
 * The records of `service` given the EndpointSlices labelled with its name (others are ignored).
 * Headless (`clusterIP: None`): the Service name holds every ready endpoint address, and none
 * at all (NXDOMAIN) without a ready endpoint; ClusterIP (and NodePort, LoadBalancer): the Service
 * name holds its ClusterIPs; ExternalName: a CNAME. Endpoint names (`<hostname>.<service>…`, or the
 * dashed address without a hostname) exist for the ready endpoints of both kinds, as in CoreDNS.
 */
export function buildServiceRecords(service: Service, slices: Iterable<EndpointSlice>, zone: string): ServiceRecordSet {
  const namespace = service.metadata?.namespace ?? 'default';
  const name = service.metadata?.name ?? '';
  const names = new Map<string, MutableNameRecords>();
  const ptrs: PtrRecord[] = [];
  if (name === '') return freeze(names, ptrs);
  const domain = serviceDomain(namespace, name, zone);
  const at = (owner: string): MutableNameRecords => {
    let records = names.get(owner);
    if (records === undefined) {
      records = { a: [], aaaa: [], srv: [] };
      names.set(owner, records);
    }
    return records;
  };

  if (service.spec?.type === 'ExternalName') {
    const target = service.spec.externalName;
    // An address is not a name to alias (the API rejects it; CoreDNS ignores it too).
    if (target !== undefined && target !== '' && parseAddress(target) === undefined) at(domain).cname = normalizeName(target);
    return freeze(names, ptrs);
  }

  const endpoints = readyEndpoints(service, slices);
  const headless = service.spec?.clusterIP === 'None';
  if (headless) {
    if (endpoints.length === 0) return freeze(names, ptrs);
    const own = at(domain);
    for (const endpoint of endpoints) {
      (endpoint.family === 'IPv4' ? own.a : own.aaaa).push(endpoint.address);
      const target = `${endpoint.hostname}.${domain}`;
      for (const port of endpoint.ports) {
        if (port.port === undefined) continue;
        addSrv(own, port.port, target);
        const portName = srvName(port.name, port.protocol, domain);
        if (portName !== undefined) {
          at(portName.protocolDomain);
          addSrv(at(portName.name), port.port, target);
        }
      }
    }
  } else {
    const own = at(domain);
    const clusterIPs = (service.spec?.clusterIPs ?? [service.spec?.clusterIP ?? '']).map(parseAddress);
    for (const ip of clusterIPs) {
      if (ip === undefined) continue;
      (ip.family === 'IPv4' ? own.a : own.aaaa).push(ip.address);
      ptrs.push({ reverse: reverseNameOf(ip), target: domain, clusterIP: true });
    }
    if (own.a.length + own.aaaa.length > 0) {
      for (const port of service.spec?.ports ?? []) addServicePortSrv(port, domain, own, at);
    }
  }

  for (const endpoint of endpoints) {
    const host = `${endpoint.hostname}.${domain}`;
    const records = at(host);
    (endpoint.family === 'IPv4' ? records.a : records.aaaa).push(endpoint.address);
    ptrs.push({ reverse: reverseNameOf(endpoint), target: host, clusterIP: false });
  }
  return freeze(names, ptrs);
}

function addServicePortSrv(
  port: ServicePort,
  domain: string,
  own: MutableNameRecords,
  at: (owner: string) => MutableNameRecords,
): void {
  addSrv(own, port.port, domain);
  const portName = srvName(port.name, port.protocol, domain);
  if (portName === undefined) return;
  at(portName.protocolDomain);
  addSrv(at(portName.name), port.port, domain);
}

/** `_<port>._<proto>.<domain>` for a named port (unnamed ports have no SRV name of their own). */
function srvName(
  portName: string | undefined,
  protocol: string | undefined,
  domain: string,
): { name: string; protocolDomain: string } | undefined {
  if (portName === undefined || portName === '') return undefined;
  const protocolDomain = `_${(protocol ?? 'TCP').toLowerCase()}.${domain}`;
  return { name: normalizeName(`_${portName}.${protocolDomain}`), protocolDomain };
}

function addSrv(records: MutableNameRecords, port: number, target: string): void {
  records.srv.push({ port, target });
}

/**
 * Ready addresses from the Service's IPv4/IPv6 slices. `ready` unset counts as ready (the API's
 * "unknown"), as CoreDNS reads it; publishNotReadyAddresses is already folded into `ready` by the
 * EndpointSlice controller.
 */
function readyEndpoints(service: Service, slices: Iterable<EndpointSlice>): EndpointAddress[] {
  const name = service.metadata?.name;
  const out: EndpointAddress[] = [];
  for (const slice of slices) {
    if (slice.metadata?.labels?.[SERVICE_NAME_LABEL] !== name) continue;
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const ports = slice.ports ?? [];
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const text of endpoint.addresses ?? []) {
        const parsed = parseAddress(text);
        if (parsed === undefined || parsed.family !== slice.addressType) continue;
        const hostname = endpoint.hostname !== undefined && endpoint.hostname !== '' ? endpoint.hostname.toLowerCase() : addressLabel(parsed.address);
        out.push({ ...parsed, hostname, ports });
      }
    }
  }
  return out;
}

const NONE: readonly never[] = Object.freeze([]);

/** Arrays without repeats (most hold one value: skip the set then). */
function distinct<T>(values: T[], key: (value: T) => string | T = (value) => value): readonly T[] {
  if (values.length === 0) return NONE;
  if (values.length === 1) return values;
  const seen = new Set<string | T>();
  return values.filter((value) => {
    const k = key(value);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Drop repeats (one SRV per target and port, as CoreDNS) and fix each name's SRV weights: all
 * SRV records share priority 0, and CoreDNS gives each of N records weight floor(100 / N) (at
 * least 1), so clients spread evenly.
 */
function freeze(names: Map<string, MutableNameRecords>, ptrs: PtrRecord[]): ServiceRecordSet {
  const out = new Map<string, NameRecords>();
  for (const [owner, records] of names) {
    const srv = distinct(records.srv, ({ port, target }) => `${port} ${target}`);
    const weight = Math.max(1, Math.floor(100 / Math.max(1, srv.length)));
    out.set(owner, {
      a: distinct(records.a),
      aaaa: distinct(records.aaaa),
      srv: srv.length === 0 ? NONE : srv.map(({ port, target }) => ({ port, target, priority: 0, weight })),
      ...(records.cname !== undefined ? { cname: records.cname } : {}),
    });
  }
  return { names: out, ptrs };
}
