import type { Pod, PodDNSConfig } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { parseResolvConf, podDnsConfig, podResolvConf, type PodDnsOptions } from './resolv-conf.ts';

const HOST = ['# from the host', 'nameserver 10.0.0.2', 'nameserver 10.0.0.3', 'search corp.example. lab.example', 'options timeout:2 attempts:3', ''].join('\n');
const OPTIONS: PodDnsOptions = { nameserver: '10.244.3.1', clusterDomain: 'cluster.local', hostResolvConf: HOST };

function pod(spec: { dnsPolicy?: string; hostNetwork?: boolean; dnsConfig?: PodDNSConfig }, namespace = 'shop'): Pod {
  return { metadata: { name: 'p', namespace }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } };
}

const CLUSTER_SEARCH = 'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example';

describe('podResolvConf', () => {
  it.each([
    {
      what: 'ClusterFirst (the default): cluster DNS, cluster then host search paths, ndots:5',
      pod: pod({}),
      text: [CLUSTER_SEARCH, 'nameserver 10.244.3.1', 'options ndots:5'],
    },
    { what: 'ClusterFirst named', pod: pod({ dnsPolicy: 'ClusterFirst' }), text: [CLUSTER_SEARCH, 'nameserver 10.244.3.1', 'options ndots:5'] },
    {
      what: 'ClusterFirst on a hostNetwork pod behaves as Default',
      pod: pod({ dnsPolicy: 'ClusterFirst', hostNetwork: true }),
      text: ['search corp.example lab.example', 'nameserver 10.0.0.2', 'nameserver 10.0.0.3', 'options timeout:2 attempts:3'],
    },
    {
      what: 'ClusterFirstWithHostNet on a hostNetwork pod uses the cluster DNS',
      pod: pod({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }),
      text: [CLUSTER_SEARCH, 'nameserver 10.244.3.1', 'options ndots:5'],
    },
    {
      what: 'Default: the host resolver config',
      pod: pod({ dnsPolicy: 'Default' }),
      text: ['search corp.example lab.example', 'nameserver 10.0.0.2', 'nameserver 10.0.0.3', 'options timeout:2 attempts:3'],
    },
    {
      what: 'None: only dnsConfig',
      pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }),
      text: ['search a.example', 'nameserver 1.1.1.1', 'options ndots:2 edns0'],
    },
    { what: 'None without dnsConfig: an empty file', pod: pod({ dnsPolicy: 'None' }), text: [] },
    {
      what: 'ClusterFirst + dnsConfig: appended without duplicates, options merged by name',
      pod: pod({
        dnsConfig: {
          nameservers: ['10.244.3.1', '8.8.8.8'],
          searches: ['cluster.local', 'extra.example'],
          options: [{ name: 'ndots', value: '1' }, { name: 'single-request-reopen' }],
        },
      }),
      text: [`${CLUSTER_SEARCH} extra.example`, 'nameserver 10.244.3.1', 'nameserver 8.8.8.8', 'options ndots:1 single-request-reopen'],
    },
    {
      what: 'Default + dnsConfig options override the host options of the same name',
      pod: pod({ dnsPolicy: 'Default', dnsConfig: { options: [{ name: 'attempts', value: '1' }] } }),
      text: ['search corp.example lab.example', 'nameserver 10.0.0.2', 'nameserver 10.0.0.3', 'options timeout:2 attempts:1'],
    },
  ])('$what', ({ pod: subject, text }) => {
    expect(podResolvConf(subject, OPTIONS)).toBe(text.map((line) => `${line}\n`).join(''));
  });

  it('falls back to Default (with a warning) when no cluster DNS server is known', () => {
    const config = podDnsConfig(pod({}), { ...OPTIONS, nameserver: [] });
    expect(config.nameservers).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(config.options).toEqual(['timeout:2', 'attempts:3']);
    expect(config.warnings[0]).toMatch(/falls back to "Default"/);
  });

  it('without a cluster domain, ClusterFirst searches the host paths only', () => {
    expect(podDnsConfig(pod({}), { ...OPTIONS, clusterDomain: '' }).searches).toEqual(['corp.example', 'lab.example']);
  });

  it('keeps at most 3 nameservers and warns', () => {
    const config = podDnsConfig(pod({ dnsConfig: { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'] } }), OPTIONS);
    expect(config.nameservers).toEqual(['10.244.3.1', '1.1.1.1', '8.8.8.8']);
    expect(config.warnings).toEqual([expect.stringMatching(/^Nameserver limits were exceeded/)]);
  });

  it('keeps at most 32 search paths and warns', () => {
    const searches = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    const config = podDnsConfig(pod({ dnsConfig: { searches } }), OPTIONS);
    expect(config.searches).toHaveLength(32);
    expect(config.searches.slice(0, 3)).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
    expect(config.warnings).toEqual([expect.stringMatching(/^Search Line limits were exceeded/)]);
  });

  it('drops search paths over 253 characters and cuts the line to 2048 characters from the end', () => {
    const long = `${'a'.repeat(250)}.example`;
    expect(podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: [long, 'ok.example'] } }), OPTIONS).searches).toEqual(['ok.example']);
    const paths = Array.from({ length: 10 }, (_, i) => `${String(i).repeat(240)}.example`); // 10 × 248 + spaces > 2048
    const config = podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: paths } }), OPTIONS);
    expect(config.searches).toEqual(paths.slice(0, 8));
    expect(config.searches.join(' ').length).toBeLessThanOrEqual(2048);
    expect(config.warnings).toHaveLength(1);
  });

  it('needs no warning within the limits', () => {
    expect(podDnsConfig(pod({}), OPTIONS).warnings).toEqual([]);
  });
});

describe('parseResolvConf', () => {
  it('accumulates nameservers; the last search and options lines win; comments are skipped', () => {
    const text = 'nameserver 1.1.1.1\nsearch a.example\n#nameserver 9.9.9.9\n  nameserver   2.2.2.2  \nsearch b.example. c.example\noptions ndots:1\noptions rotate\nnameserver\n';
    expect(parseResolvConf(text)).toEqual({ nameservers: ['1.1.1.1', '2.2.2.2'], searches: ['b.example', 'c.example'], options: ['rotate'] });
  });
});
