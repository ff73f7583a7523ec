/**
 * Reading affinity sets back from `nft -j list sets` (the sample is nft 1.0.6's own output).
 */
import { describe, expect, it } from 'vitest';
import { parseAffinitySets } from './affinity.ts';

const listed = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    {
      set: {
        family: 'ip',
        name: 'aff-default/web/tcp/http__10.244.1.2/8080',
        table: 'kp',
        type: 'ipv4_addr',
        handle: 18,
        size: 65535,
        flags: ['timeout'],
        timeout: 10800,
        elem: [{ elem: { val: '10.1.1.1', expires: 7199 } }, { elem: { val: '10.244.9.9', timeout: 100, expires: 99 } }],
      },
    },
    { set: { family: 'ip', name: 'aff-default/web/tcp/http__10.244.2.2/8080', table: 'kp', type: 'ipv4_addr', flags: ['timeout'], timeout: 10800 } },
    { set: { family: 'ip', name: 'something-else', table: 'kp', type: 'ipv4_addr', elem: [{ elem: { val: '10.0.0.1', expires: 5 } }] } },
    { set: { family: 'ip', name: 'aff-odd', table: 'kp', type: 'ipv4_addr', elem: ['10.0.0.2', { elem: { val: '10.0.0.3' } }, { elem: { val: '10.0.0.4', expires: 0 } }] } },
  ],
});

describe('parseAffinitySets', () => {
  it('keeps each affinity set\'s clients with the time they have left', () => {
    expect(parseAffinitySets(listed)).toEqual(
      new Map([
        [
          'aff-default/web/tcp/http__10.244.1.2/8080',
          [
            { clientIP: '10.1.1.1', expiresSeconds: 7199 },
            { clientIP: '10.244.9.9', expiresSeconds: 99 },
          ],
        ],
      ]),
    );
  });

  it.each(['', '{', 'null', '{"nftables": 3}'])('treats unreadable output %j as nothing to carry', (text) => {
    expect(parseAffinitySets(text).size).toBe(0);
  });
});
