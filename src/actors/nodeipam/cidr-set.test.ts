import { describe, expect, it } from 'vitest';
import { InvalidCidrError, parseIPv4Cidr as parseCidr } from '../../api/ipv4.ts';
import { CidrSet } from './cidr-set.ts';

describe('CidrSet', () => {
  it('hands out /24 blocks of the cluster CIDR in order, skipping occupied ones', () => {
    const set = new CidrSet('10.244.0.0/16', 24);
    expect(set.capacity).toBe(256);
    expect(set.occupy('10.244.1.0/24')).toBe(true);
    expect(set.allocateNext()).toBe('10.244.0.0/24');
    expect(set.allocateNext()).toBe('10.244.2.0/24');
    expect(set.allocated).toBe(3);
  });

  it('does not reuse a released block at once, and is exhausted after capacity blocks', () => {
    const set = new CidrSet('10.1.0.0/22', 24);
    const got = [set.allocateNext(), set.allocateNext(), set.allocateNext(), set.allocateNext()];
    expect(got).toEqual(['10.1.0.0/24', '10.1.1.0/24', '10.1.2.0/24', '10.1.3.0/24']);
    expect(set.allocateNext()).toBeUndefined();
    set.release('10.1.1.0/24');
    expect(set.allocateNext()).toBe('10.1.1.0/24');
    set.release('10.1.0.0/24');
    set.release('10.1.3.0/24');
    expect(set.allocateNext()).toBe('10.1.3.0/24');
  });

  it('refuses blocks outside it, of another size or misaligned', () => {
    const set = new CidrSet('10.244.0.0/16', 24);
    expect(set.occupy('10.245.0.0/24')).toBe(false);
    expect(set.occupy('10.244.0.0/25')).toBe(false);
    expect(set.occupy('10.244.0.128/24')).toBe(false);
    expect(set.occupy('nonsense')).toBe(false);
    expect(set.allocated).toBe(0);
  });

  it.each([
    ['10.244.0.1/16', /host bits/],
    ['fd00::/64', /IPv4/],
    ['10.244.0.0', /invalid CIDR/],
  ])('rejects cluster CIDR %s', (cidr, why) => {
    expect(() => new CidrSet(cidr, 24)).toThrow(why);
  });

  it('rejects a node mask shorter than the cluster CIDR', () => {
    expect(() => new CidrSet('10.244.0.0/24', 16)).toThrow(InvalidCidrError);
    expect(parseCidr('10.0.0.0/8')).toEqual([0x0a000000, 8]);
  });
});
