/**
 * Domain-name and address helpers for cluster DNS (pure): the normal form names are kept in,
 * reverse-lookup names of addresses, and the address-derived labels Kubernetes DNS uses
 * (`10-244-1-5` for an endpoint without a hostname, `a-b-c-d.ns.pod.<zone>` for pods).
 */
import ipaddr from 'ipaddr.js';

/**
 * The form names are stored and looked up in: lower case (DNS compares names case-insensitively,
 * RFC 4343), no trailing dot. The root is the empty string.
 */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Whether normalized `name` is `zone` itself or below it (normalized `zone`; '' is the root). */
export function isInZone(name: string, zone: string): boolean {
  if (zone === '') return true;
  return name === zone || name.endsWith(`.${zone}`);
}

/** The labels of normalized `name` left of normalized `zone` (which must hold it), leftmost first. */
export function labelsBelow(name: string, zone: string): string[] {
  if (name === zone) return [];
  const head = zone === '' ? name : name.slice(0, name.length - zone.length - 1);
  return head.split('.');
}

export type AddressFamily = 'IPv4' | 'IPv6';

export interface ParsedAddress {
  address: string;
  family: AddressFamily;
}

/**
 * A dotted quad of decimal octets without leading zeros: the only IPv4 spelling Kubernetes
 * accepts in new objects, and already the canonical one. Checked by hand because every
 * endpoint address passes here (ipaddr.js parses each twice over with regexes: 4x slower).
 */
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * An address in the one spelling records are keyed and answered by (IPv4 dotted quad; IPv6 in
 * RFC 5952 form), with its family; undefined for anything that is not a plain IP address.
 * IPv4 must be four decimal parts without leading zeros: `10.1`, `010.0.0.1` or `0x0a.0.0.1`
 * are not addresses in Kubernetes.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (DOTTED_QUAD.test(text)) return { address: text, family: 'IPv4' };
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  if (v6.zoneId !== undefined) return undefined;
  return { address: v6.toRFC5952String(), family: 'IPv6' };
}

/**
 * The reverse-lookup name of an address (normalized): `d.c.b.a.in-addr.arpa` for IPv4, the 32
 * nibbles in reverse order under `ip6.arpa` for IPv6 (DNS specification §2.3.3).
 */
export function reverseName(address: string): string | undefined {
  const parsed = parseAddress(address);
  return parsed === undefined ? undefined : reverseNameOf(parsed);
}

/** `reverseName` of an address `parseAddress` already read. */
export function reverseNameOf({ address, family }: ParsedAddress): string {
  if (family === 'IPv4') return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const byte of ipaddr.IPv6.parse(address).toByteArray()) nibbles.push((byte >> 4).toString(16), (byte & 0xf).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/** Whether normalized `name` lies in a reverse-lookup tree (in-addr.arpa or ip6.arpa). */
export function isReverseName(name: string): boolean {
  return isInZone(name, 'in-addr.arpa') || isInZone(name, 'ip6.arpa');
}

/**
 * The label CoreDNS derives from an address for an endpoint without a hostname: dots (IPv4) or
 * colons (IPv6) become dashes; an IPv6 spelling ending in `::` gets a trailing `0` so the label
 * does not end in a dash.
 */
export function addressLabel(address: string): string {
  if (address.includes('.')) return address.replaceAll('.', '-');
  const dashed = address.replaceAll(':', '-');
  return dashed.endsWith('-') ? `${dashed}0` : dashed;
}

/**
 * The address a pod label names (`10-244-1-5` → 10.244.1.5; `fd00--5` → fd00::5), as CoreDNS reads
 * it: three dashes and no `--` make an IPv4 address, anything else is read as IPv6. Undefined when
 * the label is not an address.
 */
export function addressFromLabel(label: string): ParsedAddress | undefined {
  const dashes = label.split('-').length - 1;
  const text = dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  return parseAddress(text);
}
