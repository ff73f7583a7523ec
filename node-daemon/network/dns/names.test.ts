import { describe, expect, it } from 'vitest';
import { addressFromLabel, addressLabel, isInZone, labelsBelow, normalizeName, parseAddress, reverseName } from './names.ts';

describe('names', () => {
  it.each([
    ['10.3.0.1', '1.0.3.10.in-addr.arpa'],
    ['2001:db8::1', `1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`],
    ['not-an-ip', undefined],
    ['10.1', undefined],
  ])('reverseName(%s) = %s (specification §2.3.3 examples)', (address, expected) => {
    expect(reverseName(address)).toBe(expected);
  });

  it.each([
    ['10.244.1.5', '10-244-1-5'],
    ['fd00::5', 'fd00--5'],
    ['fd00::', 'fd00--0'],
  ])('addressLabel(%s) = %s and back', (address, label) => {
    expect(addressLabel(address)).toBe(label);
    expect(addressFromLabel(label)?.address).toBe(address === 'fd00::' ? 'fd00::' : address);
  });

  it.each(['web-0', '10-244-1', '10-244-1-500', '1-2-3-4-5', ''])('addressFromLabel(%j) is not an address', (label) => {
    expect(addressFromLabel(label)).toBeUndefined();
  });

  it('normalizes and splits names', () => {
    expect(normalizeName('Web.Default.SVC.cluster.local.')).toBe('web.default.svc.cluster.local');
    expect(isInZone('a.cluster.local', 'cluster.local')).toBe(true);
    expect(isInZone('cluster.local', 'cluster.local')).toBe(true);
    expect(isInZone('evilcluster.local', 'cluster.local')).toBe(false);
    expect(labelsBelow('a.b.cluster.local', 'cluster.local')).toEqual(['a', 'b']);
    expect(labelsBelow('cluster.local', 'cluster.local')).toEqual([]);
  });

  it('reads addresses in one spelling', () => {
    expect(parseAddress('FD00:0:0::0020')).toEqual({ address: 'fd00::20', family: 'IPv6' });
    // Leading zeros read as octal by some parsers; Kubernetes rejects them in new addresses too.
    expect(parseAddress('010.0.0.1')).toBeUndefined();
    expect(parseAddress('fe80::1%eth0')).toBeUndefined();
  });
});
