import { describe, expect, it } from 'vitest';
import { candidateOffsets, firstServiceIP, ipInRange, ipv4ToNumber, numberToIPv4, parsePortRange, parseServiceCIDR, portInRange, serviceRanges } from './ranges.ts';

describe('service ranges', () => {
  it('parses the default service CIDR with Kubernetes range offset (256 addresses for static picks)', () => {
    const r = parseServiceCIDR('10.96.0.0/12');
    expect(r).toEqual({ cidr: '10.96.0.0/12', first: ipv4ToNumber('10.96.0.1'), last: ipv4ToNumber('10.111.255.254'), offset: 256 });
    expect(firstServiceIP(r)).toBe('10.96.0.1');
  });

  it.each([
    ['10.0.0.0/28', 0],
    ['10.0.0.0/27', 16],
    ['10.0.0.0/24', 16],
    ['10.0.0.0/20', 256],
  ])('offset of %s is %i', (cidr, offset) => expect(parseServiceCIDR(cidr).offset).toBe(offset));

  it('normalises a CIDR given with host bits', () => expect(parseServiceCIDR('10.96.3.7/16').cidr).toBe('10.96.0.0/16'));

  it.each([
    ['10.96.0.0', 'expected an IPv4 CIDR'],
    ['fd00::/108', 'expected an IPv4 CIDR'],
    ['10.0.0.0/8', 'the mask must be >= 12'],
    ['10.0.0.0/31', 'the mask must be <= 30'],
  ])('refuses %s', (cidr, message) => expect(() => parseServiceCIDR(cidr)).toThrow(message));

  it('excludes the network and broadcast addresses', () => {
    const r = parseServiceCIDR('10.0.0.0/24');
    expect(['10.0.0.0', '10.0.0.1', '10.0.0.254', '10.0.0.255', '10.0.1.1', 'nope'].map((ip) => ipInRange(r, ip))).toEqual([false, true, true, false, false, false]);
  });

  it('parses node port ranges with Kubernetes offsets', () => {
    expect(parsePortRange('30000-32767')).toEqual({ text: '30000-32767', base: 30000, size: 2768, offset: 86 });
    expect(parsePortRange('30000-30009').offset).toBe(0);
    expect(() => parsePortRange('32767-30000')).toThrow('invalid service node port range');
    expect(() => parsePortRange('abc')).toThrow('invalid service node port range');
    const r = parsePortRange('30000-30099');
    expect([29999, 30000, 30099, 30100].map((p) => portInRange(r, p))).toEqual([false, true, true, false]);
  });

  it('defaults both ranges', () => {
    expect(serviceRanges().clusterIPs.cidr).toBe('10.96.0.0/12');
    expect(serviceRanges().nodePorts.text).toBe('30000-32767');
  });

  it('round-trips addresses', () => {
    for (const ip of ['0.0.0.0', '10.96.0.1', '255.255.255.255', '192.168.1.200']) expect(numberToIPv4(ipv4ToNumber(ip))).toBe(ip);
  });

  it('offers every offset once: the upper band first, then the lower band', () => {
    const all = [...candidateOffsets(40, 16, () => 0.5)];
    expect(all).toHaveLength(40);
    expect(new Set(all).size).toBe(40);
    expect(all.slice(0, 24).every((o) => o >= 16)).toBe(true);
    expect(all.slice(24).every((o) => o < 16)).toBe(true);
    expect(all[0]).toBe(16 + 12);
  });
});
