import { describe, expect, it } from 'vitest';
import { macFor, podCidrAddresses } from './addresses.ts';

describe('pod CIDR addresses', () => {
  it('puts the VTEP on the network address and the gateway on the first host address', () => {
    expect(podCidrAddresses('10.244.3.0/24')).toEqual({
      podCIDR: '10.244.3.0/24',
      vtepIP: '10.244.3.0',
      vtepMac: '0a:58:0a:f4:03:00',
      gatewayIP: '10.244.3.1',
      prefixLength: 24,
    });
  });

  it('derives a locally administered unicast MAC from the address', () => {
    expect(macFor('192.168.255.1')).toBe('0a:58:c0:a8:ff:01');
    // 0x0a: bit 1 set (locally administered), bit 0 clear (unicast).
    expect(parseInt(macFor('10.0.0.0').slice(0, 2), 16) & 0b11).toBe(0b10);
  });

  it('refuses a CIDR with host bits or too small for a bridge', () => {
    expect(() => podCidrAddresses('10.244.3.1/24')).toThrow(/host bits/);
    expect(() => podCidrAddresses('10.244.3.0/31')).toThrow(/too small/);
  });
});
