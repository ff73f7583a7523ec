/**
 * The renderer, table-driven: each case names the lines its script must (and must not) hold.
 * Every script rendered here is also given to the real `nft -c` (check mode, in a throwaway
 * network namespace), so a rule that reads right but that nft refuses fails the test.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { describe, expect, it } from 'vitest';
import { InvalidProxyConfigError } from './errors.ts';
import { kernelRequired, kernelUnavailable, nftCheck } from './netns-lab.ts';
import { CASCADE_MAX_ENDPOINTS, renderProxyRules, renderProxyRuleset } from './render.ts';
import { service, slice } from './test-objects.ts';
import type { AffinityCarry, ProxyConfig } from './types.ts';

const unavailable = await kernelUnavailable();
if (unavailable && kernelRequired()) throw new Error(`CI=true but nft cannot run: ${unavailable}`);
if (unavailable) console.warn(`render.test.ts: ${unavailable}; rendered scripts are not checked with nft -c`);

const config: ProxyConfig = { table: 'kactus-test', nodeName: 'n1', clusterCIDR: '10.244.0.0/16', podCIDR: '10.244.1.0/24' };
const http = [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }];
const httpSlice = [{ name: 'http', port: 8080, protocol: 'TCP' }];
const WEB = 'svc-default/web/tcp/http';
const EP1 = 'ep-default/web/tcp/http__10.244.1.2/8080';
const EP2 = 'ep-default/web/tcp/http__10.244.2.2/8080';
const twoEndpoints = () => [slice('web', httpSlice, [{ ip: '10.244.1.2', node: 'n1' }, { ip: '10.244.2.2', node: 'n2' }])];

interface Case {
  name: string;
  services: Service[];
  slices: EndpointSlice[];
  config?: Partial<ProxyConfig>;
  affinity?: AffinityCarry;
  has: string[];
  hasNot?: string[];
}

const cases: Case[] = [
  {
    name: 'ClusterIP: map entry, equal random pick, DNAT per endpoint, hairpin and host-source masquerade',
    services: [service('web', '10.96.0.10', http)],
    slices: twoEndpoints(),
    has: [
      `10.96.0.10 . tcp . 80 : goto ${WEB}`,
      `ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade`,
      `chain ${WEB} {\n    ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade\n    numgen random mod 2 == 0 goto ${EP1}\n    goto ${EP2}\n  }`,
      `chain ${EP1} {\n    ip saddr 10.244.1.2 jump mark-for-masquerade\n    meta l4proto tcp dnat to 10.244.1.2:8080\n  }`,
      'meta l4proto tcp dnat to 10.244.2.2:8080',
      'ip daddr . meta l4proto . th dport vmap @service-ips',
    ],
    hasNot: ['reject-chain,', 'update @'],
  },
  {
    name: 'three endpoints: a cascade with 1/3, 1/2, then the rest (equal chances)',
    services: [service('web', '10.96.0.10', http)],
    slices: [slice('web', httpSlice, [{ ip: '10.244.1.4' }, { ip: '10.244.1.2' }, { ip: '10.244.1.3' }])],
    has: [
      `numgen random mod 3 == 0 goto ${EP1}\n    numgen random mod 2 == 0 goto ep-default/web/tcp/http__10.244.1.3/8080\n    goto ep-default/web/tcp/http__10.244.1.4/8080\n  }`,
    ],
    hasNot: ['vmap {'],
  },
  {
    name: `more than ${CASCADE_MAX_ENDPOINTS} endpoints: one numgen vmap`,
    services: [service('web', '10.96.0.10', http)],
    slices: [slice('web', httpSlice, Array.from({ length: CASCADE_MAX_ENDPOINTS + 1 }, (_, i) => ({ ip: `10.244.1.${i + 2}` })))],
    has: [
      `numgen random mod ${CASCADE_MAX_ENDPOINTS + 1} vmap { 0 : goto ${EP1}, 1 : goto ep-default/web/tcp/http__10.244.1.3/8080, `,
      `${CASCADE_MAX_ENDPOINTS} : goto ep-default/web/tcp/http__10.244.1.${CASCADE_MAX_ENDPOINTS + 2}/8080 }`,
    ],
    hasNot: ['== 0 goto'],
  },
  {
    name: 'the base chains, masquerading and the pod egress rule',
    services: [],
    slices: [],
    has: [
      'table ip kactus-test {}\ndelete table ip kactus-test\ntable ip kactus-test {',
      'type nat hook prerouting priority dstnat; policy accept;\n    jump services',
      'type nat hook output priority -100; policy accept;\n    jump services',
      'type nat hook postrouting priority srcnat; policy accept;\n    jump masquerading\n    ip saddr 10.244.1.0/24 ip daddr != 10.244.0.0/16 masquerade',
      'type filter hook forward priority -110; policy accept;\n    ct state new jump endpoints-check',
      'type filter hook input priority -110',
      'type filter hook output priority -110',
      'meta mark set meta mark or 0x00004000',
      'meta mark & 0x00004000 == 0 return\n    meta mark set meta mark xor 0x00004000\n    masquerade fully-random',
      'meta l4proto tcp reject with tcp reset\n    reject',
    ],
  },
  {
    name: 'without a podCIDR there is no egress masquerade; another mark is used as given',
    services: [],
    slices: [],
    config: { podCIDR: undefined, masqueradeMark: 0x10000 },
    has: ['meta mark set meta mark or 0x00010000'],
    hasNot: ['ip daddr != 10.244.0.0/16 masquerade'],
  },
  {
    name: 'endpoint port comes from the slice port with the service port\'s name',
    services: [
      service('multi', '10.96.0.11', [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP' },
      ]),
    ],
    slices: [
      slice('multi', [{ name: 'metrics', port: 9100 }, { name: 'http', port: 8080 }, { name: 'other', port: 1 }], [{ ip: '10.244.1.5', node: 'n1' }]),
    ],
    has: ['dnat to 10.244.1.5:8080', 'dnat to 10.244.1.5:9100', '10.96.0.11 . tcp . 9090 : goto svc-default/multi/tcp/metrics'],
    hasNot: ['10.244.1.5:1\n'],
  },
  {
    name: 'no endpoints at all: ClusterIP and NodePort go to the reject chain',
    services: [service('web', '10.96.0.10', [{ ...http[0]!, nodePort: 30080 }], { type: 'NodePort' })],
    slices: [],
    has: ['10.96.0.10 . tcp . 80 : goto reject-chain', 'tcp . 30080 : goto reject-chain'],
    hasNot: [`chain ${WEB}`, '10.96.0.10 . tcp . 80 : goto svc-'],
  },
  {
    name: 'only unready endpoints: rejected like none',
    services: [service('web', '10.96.0.10', http)],
    slices: [slice('web', httpSlice, [{ ip: '10.244.1.2', ready: false, serving: false }])],
    has: ['10.96.0.10 . tcp . 80 : goto reject-chain'],
    hasNot: ['dnat to'],
  },
  {
    name: 'no ready endpoint: serving+terminating ones are used',
    services: [service('web', '10.96.0.10', http)],
    slices: [slice('web', httpSlice, [{ ip: '10.244.1.2', ready: false, serving: true, terminating: true }, { ip: '10.244.1.3', ready: false, serving: false }])],
    has: [`ip saddr != 10.244.0.0/16 jump mark-for-masquerade\n    goto ${EP1}\n  }`, 'dnat to 10.244.1.2:8080'],
    hasNot: ['dnat to 10.244.1.3', 'reject-chain,'],
  },
  {
    name: 'ready endpoints exist: terminating ones are not used',
    services: [service('web', '10.96.0.10', http)],
    slices: [slice('web', httpSlice, [{ ip: '10.244.1.2' }, { ip: '10.244.1.3', ready: false, serving: true, terminating: true }])],
    has: ['dnat to 10.244.1.2:8080'],
    hasNot: ['dnat to 10.244.1.3'],
  },
  {
    name: 'NodePort (Cluster policy): local-address match, external chain masquerades then balances',
    services: [service('web', '10.96.0.10', [{ ...http[0]!, nodePort: 30080 }], { type: 'NodePort' })],
    slices: twoEndpoints(),
    has: [
      'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
      'tcp . 30080 : goto ext-default/web/tcp/http',
      `chain ext-default/web/tcp/http {\n    jump mark-for-masquerade\n    goto ${WEB}\n  }`,
    ],
    hasNot: ['local-default'],
  },
  {
    name: 'LoadBalancer type gets its NodePort too',
    services: [service('web', '10.96.0.10', [{ ...http[0]!, nodePort: 30080 }], { type: 'LoadBalancer' })],
    slices: twoEndpoints(),
    has: ['tcp . 30080 : goto ext-default/web/tcp/http'],
  },
  {
    name: 'externalTrafficPolicy Local: no masquerade, this node\'s endpoints; pods and the node short-circuit to Cluster',
    services: [service('web', '10.96.0.10', [{ ...http[0]!, nodePort: 30080 }], { type: 'NodePort', externalTrafficPolicy: 'Local' })],
    slices: twoEndpoints(),
    has: [
      `ip saddr 10.244.0.0/16 goto ${WEB} comment "short-circuit pod traffic"`,
      'fib saddr type local jump mark-for-masquerade',
      `fib saddr type local goto ${WEB}`,
      'goto local-default/web/tcp/http\n  }',
      `chain local-default/web/tcp/http {\n    goto ${EP1}\n  }`,
      // The ClusterIP still uses every endpoint.
      `numgen random mod 2 == 0 goto ${EP1}\n    goto ${EP2}`,
    ],
    hasNot: ['ext-default/web/tcp/http {\n    jump mark-for-masquerade'],
  },
  {
    name: 'externalTrafficPolicy Local without a local endpoint: NodePort dropped here, ClusterIP served',
    services: [service('web', '10.96.0.10', [{ ...http[0]!, nodePort: 30080 }], { type: 'NodePort', externalTrafficPolicy: 'Local' })],
    slices: [slice('web', httpSlice, [{ ip: '10.244.2.2', node: 'n2' }])],
    has: ['tcp . 30080 : drop', 'tcp . 30080 : goto ext-default/web/tcp/http', `10.96.0.10 . tcp . 80 : goto ${WEB}`],
    hasNot: ['chain local-default'],
  },
  {
    name: 'internalTrafficPolicy Local: the ClusterIP uses this node\'s endpoints only',
    services: [service('web', '10.96.0.10', http, { internalTrafficPolicy: 'Local' })],
    slices: twoEndpoints(),
    has: ['10.96.0.10 . tcp . 80 : goto local-default/web/tcp/http', `jump mark-for-masquerade\n    goto ${EP1}\n  }`],
    hasNot: [`chain ${WEB}`, EP2],
  },
  {
    name: 'internalTrafficPolicy Local without a local endpoint: dropped (endpoints exist elsewhere)',
    services: [service('web', '10.96.0.10', http, { internalTrafficPolicy: 'Local' })],
    slices: [slice('web', httpSlice, [{ ip: '10.244.2.2', node: 'n2' }])],
    has: ['10.96.0.10 . tcp . 80 : drop'],
    hasNot: ['dnat to'],
  },
  {
    name: 'sessionAffinity ClientIP: a timed set per endpoint, checked before the random pick, refreshed on use',
    services: [service('web', '10.96.0.10', http, { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })],
    slices: twoEndpoints(),
    has: [
      'set aff-default/web/tcp/http__10.244.1.2/8080 {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout 60s\n  }',
      `ip saddr @aff-default/web/tcp/http__10.244.1.2/8080 goto ${EP1}\n    ip saddr @aff-default/web/tcp/http__10.244.2.2/8080 goto ${EP2}\n    numgen random mod 2`,
      'ip saddr 10.244.1.2 jump mark-for-masquerade\n    update @aff-default/web/tcp/http__10.244.1.2/8080 { ip saddr }\n    meta l4proto tcp dnat to 10.244.1.2:8080',
    ],
  },
  {
    name: 'sessionAffinity ClientIP without a timeout: 10800 s',
    services: [service('web', '10.96.0.10', http, { sessionAffinity: 'ClientIP' })],
    slices: twoEndpoints(),
    has: ['timeout 10800s'],
  },
  {
    name: 'affinity carried over from the previous table, capped at the timeout; expired and bad entries dropped',
    services: [service('web', '10.96.0.10', http, { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })],
    slices: twoEndpoints(),
    affinity: new Map([
      [
        'aff-default/web/tcp/http__10.244.1.2/8080',
        [
          { clientIP: '10.244.3.7', expiresSeconds: 42.6 },
          { clientIP: '10.244.3.8', expiresSeconds: 5000 },
          { clientIP: '10.244.3.9', expiresSeconds: 0 },
          { clientIP: 'not-an-ip } ; flush ruleset', expiresSeconds: 10 },
        ],
      ],
      ['aff-default/gone/tcp/http__10.244.1.2/8080', [{ clientIP: '10.244.3.1', expiresSeconds: 10 }]],
    ]),
    has: ['10.244.3.7 timeout 60s expires 42s,\n      10.244.3.8 timeout 60s expires 60s\n'],
    hasNot: ['10.244.3.9', 'flush ruleset', '10.244.3.1 '],
  },
  {
    name: 'UDP and SCTP ports',
    services: [
      service('dns', '10.96.0.53', [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ]),
      service('sig', '10.96.0.54', [{ name: 's', port: 3868, protocol: 'SCTP' }]),
    ],
    slices: [
      slice('dns', [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5353, protocol: 'TCP' }], [{ ip: '10.244.1.9' }]),
      slice('sig', [{ name: 's', port: 3868, protocol: 'SCTP' }], [{ ip: '10.244.1.10' }]),
    ],
    has: [
      '10.96.0.53 . udp . 53 : goto svc-default/dns/udp/dns',
      '10.96.0.53 . tcp . 53 : goto svc-default/dns/tcp/dns-tcp',
      'ip daddr 10.96.0.53 udp dport 53 ip saddr != 10.244.0.0/16',
      'meta l4proto udp dnat to 10.244.1.9:5353',
      'meta l4proto tcp dnat to 10.244.1.9:5353',
      '10.96.0.54 . sctp . 3868 : goto svc-default/sig/sctp/s',
      'meta l4proto sctp dnat to 10.244.1.10:3868',
    ],
  },
  {
    name: 'a slice port of another protocol does not match',
    services: [service('dns', '10.96.0.53', [{ name: 'dns', port: 53, protocol: 'UDP' }])],
    slices: [slice('dns', [{ name: 'dns', port: 5353, protocol: 'TCP' }], [{ ip: '10.244.1.9' }])],
    has: ['10.96.0.53 . udp . 53 : goto reject-chain'],
  },
  {
    name: 'headless, ExternalName and unallocated services get no rules',
    services: [
      service('headless', 'None', http),
      { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.org', ports: http } },
      { metadata: { namespace: 'default', name: 'pending' }, spec: { ports: http } },
    ],
    slices: [slice('headless', httpSlice, [{ ip: '10.244.1.2' }])],
    has: [],
    hasNot: ['headless', 'dnat to', ' : goto', ' : drop'],
  },
  {
    name: 'slices of other namespaces, other services, IPv6 or FQDN are ignored; duplicates across slices merge',
    services: [service('web', '10.96.0.10', http)],
    slices: [
      slice('other/web', httpSlice, [{ ip: '10.244.1.20' }]),
      slice('api', httpSlice, [{ ip: '10.244.1.21' }]),
      slice('web', httpSlice, [{ ip: 'fd00::1' }], { suffix: 'v6', addressType: 'IPv6' }),
      slice('web', httpSlice, [{ ip: 'pod.example' }], { suffix: 'fqdn', addressType: 'FQDN' }),
      slice('web', httpSlice, [{ ip: '10.244.1.2', ready: false, serving: false }], { suffix: 'a' }),
      slice('web', httpSlice, [{ ip: '10.244.1.2' }], { suffix: 'b' }),
    ],
    has: [`jump mark-for-masquerade\n    goto ${EP1}\n  }`],
    hasNot: ['10.244.1.20', '10.244.1.21', 'fd00', 'pod.example'],
  },
  {
    name: 'names outside nft\'s identifier alphabet are hashed, never pasted into the script',
    services: [service('Evil;drop/x', '10.96.0.66', [{ name: 'p}', port: 80, protocol: 'TCP' }])],
    slices: [slice('Evil;drop/x', [{ name: 'p}', port: 8080 }], [{ ip: '10.244.1.2' }])],
    has: ['10.96.0.66 . tcp . 80 : goto svc-h'],
    hasNot: ['Evil', 'p}'],
  },
];

describe('renderProxyRules', () => {
  it.each(cases)('$name', async (c) => {
    const script = renderProxyRules({ services: c.services, endpointSlices: c.slices, config: { ...config, ...c.config }, affinity: c.affinity });
    for (const line of c.has) expect(script).toContain(line);
    for (const line of c.hasNot ?? []) expect(script).not.toContain(line);
    await expectNftAccepts(script);
  });

  it('is deterministic: endpoint order in the slices does not change the script', () => {
    const a = renderProxyRules({ services: [service('web', '10.96.0.10', http)], endpointSlices: twoEndpoints(), config });
    const reversed = twoEndpoints();
    reversed[0]!.endpoints.reverse();
    expect(renderProxyRules({ services: [service('web', '10.96.0.10', http)], endpointSlices: reversed, config })).toBe(a);
  });

  it('counts what it rendered and names what it skipped', () => {
    const { stats } = renderProxyRuleset({
      services: [
        service('web', '10.96.0.10', [...http, { name: 'icmp', port: 1, protocol: 'ICMP' }, { name: 'big', port: 70_000, protocol: 'TCP' }]),
        service('twin', '10.96.0.10', http),
        service('np1', '10.96.0.12', [{ ...http[0]!, nodePort: 30080 }], { type: 'NodePort' }),
        service('np2', '10.96.0.13', [{ ...http[0]!, nodePort: 30080 }], { type: 'NodePort' }),
      ],
      endpointSlices: twoEndpoints(),
      config,
    });
    expect(stats.servicePorts).toBe(3); // web/http, np1, np2 (its ClusterIP only)
    expect(stats.endpoints).toBe(2);
    expect(stats.skipped).toEqual([
      'default/web port icmp: protocol ICMP is not TCP, UDP or SCTP',
      'default/web port big: port 70000 is out of range',
      'default/twin port http: 10.96.0.10:80/tcp already belongs to default/web',
      'default/np2 port http: nodePort 30080/tcp already belongs to default/np1; serving the ClusterIP only',
    ]);
    expect(stats.rules).toBeGreaterThan(20);
    // web's ClusterIP; np1's and np2's ClusterIPs and np1's NodePort, all rejecting (no endpoints).
    expect(stats.elements).toBe(4);
  });

  it.each([
    [{ table: '1bad' }, 'table'],
    [{ table: 'a b' }, 'table'],
    [{ nodeName: '' }, 'nodeName'],
    [{ clusterCIDR: '10.244.0.0' }, 'clusterCIDR'],
    [{ clusterCIDR: 'fd00::/64' }, 'clusterCIDR'],
    [{ podCIDR: '10.244.1.0/33' }, 'podCIDR'],
    [{ masqueradeMark: 0 }, 'masqueradeMark'],
    [{ masqueradeMark: 2 ** 32 }, 'masqueradeMark'],
  ] as const)('refuses config %o naming %s', (bad, field) => {
    const render = () => renderProxyRules({ services: [], endpointSlices: [], config: { ...config, ...bad } });
    expect(render).toThrow(InvalidProxyConfigError);
    expect(render).toThrow(new RegExp(`^proxy config ${field}:`));
  });

  it('canonicalises CIDRs with host bits (nft would refuse them)', () => {
    const script = renderProxyRules({ services: [], endpointSlices: [], config: { ...config, clusterCIDR: '10.244.3.4/16', podCIDR: '10.244.1.9/24' } });
    expect(script).toContain('ip saddr 10.244.1.0/24 ip daddr != 10.244.0.0/16 masquerade');
  });

  it('renders 2,000 services × 3 endpoints in linear time, as one lookup per packet', async () => {
    const build = (n: number) => {
      const services: Service[] = [];
      const slices: EndpointSlice[] = [];
      for (let i = 0; i < n; i++) {
        const name = `svc${i}`;
        services.push(service(name, `10.96.${i >> 8}.${i & 255}`, [{ ...http[0]!, nodePort: 30000 + i }], { type: 'NodePort', sessionAffinity: i % 2 ? 'ClientIP' : 'None' }));
        slices.push(slice(name, httpSlice, [0, 1, 2].map((k) => ({ ip: `10.244.${(i * 3 + k) >> 8}.${(i * 3 + k) & 255}`, node: k === 0 ? 'n1' : 'n2' }))));
      }
      return { services, endpointSlices: slices, config };
    };
    // Best of three, so a GC pause or a busy neighbour does not decide.
    const time = (n: number) => {
      const input = build(n);
      let best = Infinity;
      let ruleset = renderProxyRuleset(input);
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        ruleset = renderProxyRuleset(input);
        best = Math.min(best, performance.now() - start);
      }
      return { ms: best, ruleset };
    };
    const small = time(1000);
    const large = time(2000);
    expect(large.ruleset.stats.servicePorts).toBe(2000);
    expect(large.ruleset.stats.endpoints).toBe(6000);
    // Twice the input, about twice the time (generous bound: a quadratic renderer gives ×4).
    expect(large.ms).toBeLessThan(Math.max(small.ms * 3.2, 50));
    // The packet path: one map lookup finds the service, whatever the count.
    expect(large.ruleset.script.match(/vmap @service-ips/g)).toHaveLength(1);
    expect(large.ruleset.script).not.toContain('vmap {');
    await expectNftAccepts(large.ruleset.script);
  });
});

/** The real nft, in check mode (kernel validation included), accepts the script. */
async function expectNftAccepts(script: string): Promise<void> {
  if (unavailable) return;
  const result = await nftCheck(script);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
}
