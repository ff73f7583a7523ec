/**
 * The ranges Services allocate from: the service CIDR (`--service-cluster-ip-range`, IPv4) and
 * the node port range (`--service-node-port-range`). Each is split as Kubernetes splits it
 * (KEP-3070 for IPs, KEP-3668 for ports): a lower band of `offset` values that dynamic
 * allocation uses only once the upper band is full, so users can pick well-known values there
 * (the DNS service's `.10`) without racing the allocator.
 */
import ipaddr from 'ipaddr.js';

export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';
export const DEFAULT_SERVICE_NODE_PORT_RANGE = '30000-32767';

import { ipv4ToNumber, numberToIPv4 } from '../../api/ipv4.ts';

export { ipv4ToNumber, numberToIPv4 };

/** A service CIDR: usable addresses exclude the network and broadcast addresses. */
export interface IPRange {
  /** `10.96.0.0/12`, normalised to the network address. */
  cidr: string;
  /** First and last usable address, as numbers. */
  first: number;
  last: number;
  /** Size of the lower band reserved for static picks (Kubernetes' calculateRangeOffset). */
  offset: number;
}

/** A node port range, inclusive. */
export interface PortRange {
  /** `30000-32767`. */
  text: string;
  base: number;
  size: number;
  offset: number;
}

/** Both ranges, as a master is configured with them. */
export interface ServiceRanges {
  clusterIPs: IPRange;
  nodePorts: PortRange;
}

export interface ServiceRangeOptions {
  /** `--service-cluster-ip-range` (default 10.96.0.0/12). */
  clusterIPRange?: string;
  /** `--service-node-port-range` (default 30000-32767). */
  nodePortRange?: string;
}

/** Kubernetes' bounds: a /12 at most (so a bitmap or scan stays small), and at least 2 usable addresses. */
const MIN_PREFIX = 12;
const MAX_PREFIX = 30;

/** Parses `--service-cluster-ip-range`; throws an Error naming what is wrong. */
export function parseServiceCIDR(text: string): IPRange {
  if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) {
    throw new Error(`invalid service cluster IP range "${text}": expected an IPv4 CIDR such as ${DEFAULT_SERVICE_CLUSTER_IP_RANGE}`);
  }
  const [, bits] = ipaddr.IPv4.parseCIDR(text);
  if (bits < MIN_PREFIX) throw new Error(`service cluster IP range "${text}" is too large; for 32-bit addresses, the mask must be >= ${MIN_PREFIX}`);
  if (bits > MAX_PREFIX) throw new Error(`service cluster IP range "${text}" is too small; the mask must be <= ${MAX_PREFIX}`);
  const network = ipv4ToNumber(ipaddr.IPv4.networkAddressFromCIDR(text).toString());
  const size = 2 ** (32 - bits);
  return { cidr: `${numberToIPv4(network)}/${bits}`, first: network + 1, last: network + size - 2, offset: rangeOffset(size, 256, 16) };
}

/** Parses `--service-node-port-range` (`min-max`, or one port); throws an Error naming what is wrong. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  const low = m ? Number(m[1]) : NaN;
  const high = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || low < 1 || high > 65535 || high < low) throw new Error(`invalid service node port range "${text}": expected MIN-MAX within 1-65535, such as ${DEFAULT_SERVICE_NODE_PORT_RANGE}`);
  const size = high - low + 1;
  return { text: `${low}-${high}`, base: low, size, offset: rangeOffset(size, 128, 32) };
}

export function serviceRanges(opts: ServiceRangeOptions = {}): ServiceRanges {
  return {
    clusterIPs: parseServiceCIDR(opts.clusterIPRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE),
    nodePorts: parsePortRange(opts.nodePortRange ?? DEFAULT_SERVICE_NODE_PORT_RANGE),
  };
}

/** min(max(16, size/step), max), 0 for ranges of 16 or fewer (Kubernetes' calculateRangeOffset). */
function rangeOffset(size: number, max: number, step: number): number {
  const min = 16;
  if (size <= min) return 0;
  return Math.min(Math.max(min, Math.floor(size / step)), max);
}

/** True when `ip` is a usable address of the range (not the network or broadcast address). */
export function ipInRange(range: IPRange, ip: string): boolean {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) return false;
  const n = ipv4ToNumber(ip);
  return n >= range.first && n <= range.last;
}

export function portInRange(range: PortRange, port: number): boolean {
  return Number.isInteger(port) && port >= range.base && port < range.base + range.size;
}

/** The first usable address: the `kubernetes` Service's ClusterIP (10.96.0.1 by default). */
export function firstServiceIP(range: IPRange): string {
  return numberToIPv4(range.first);
}

/**
 * Candidates for a dynamic pick, best first: the upper band from a random point (wrapping), then
 * the lower band from a random point. Lazily generated, so a mostly free range costs one step.
 */
export function* candidateOffsets(size: number, offset: number, random: () => number = Math.random): Generator<number> {
  const upper = size - offset;
  const start = Math.floor(random() * upper);
  for (let i = 0; i < upper; i++) yield offset + ((start + i) % upper);
  const lowStart = Math.floor(random() * offset);
  for (let i = 0; i < offset; i++) yield (lowStart + i) % offset;
}
