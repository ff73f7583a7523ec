/**
 * IPv4 addresses and CIDRs as numbers (parsing by ipaddr.js): what ClusterIP and NodePort
 * allocation, node IPAM and the node's network share. IPv4 only, as kactus' network is.
 */
import ipaddr from 'ipaddr.js';
import { errorMessage } from './error-message.ts';

export class InvalidCidrError extends Error {
  constructor(cidr: string, why: string) {
    super(`invalid CIDR ${JSON.stringify(cidr)}: ${why}`);
    this.name = 'InvalidCidrError';
  }
}

/** Dotted quad → unsigned 32-bit number. */
export function ipv4ToNumber(ip: string): number {
  const [a, b, c, d] = ipaddr.IPv4.parse(ip).octets as [number, number, number, number];
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

/** Unsigned 32-bit number → dotted quad. */
export function numberToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `a.b.c.d/n` → [network address as a number, prefix length]; throws InvalidCidrError (also for host bits set). */
export function parseIPv4Cidr(cidr: string): [number, number] {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(cidr);
  } catch (err) {
    throw new InvalidCidrError(cidr, errorMessage(err));
  }
  const [addr, bits] = parsed;
  if (addr.kind() !== 'ipv4') throw new InvalidCidrError(cidr, 'only IPv4 is supported');
  const value = ipv4ToNumber(addr.toString());
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  if ((value & mask) >>> 0 !== value) throw new InvalidCidrError(cidr, `host bits are set (network is ${numberToIPv4((value & mask) >>> 0)}/${bits})`);
  return [value, bits];
}
