import type { Answer, RecordType } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { ClusterDnsRecords } from './records.ts';
import { DNS_SCHEMA_VERSION, resolveQuestion, type Resolution } from './resolve.ts';
import { testCluster } from './test-cluster.ts';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const NAMESERVER = '10.244.0.1';

function cluster(): ClusterDnsRecords {
  const records = new ClusterDnsRecords({ zone: 'cluster.local', ttl: 5, nameserverAddresses: [NAMESERVER], now: () => NOW });
  const { services, slices } = testCluster();
  records.update(services, slices);
  return records;
}

/** One record as text: `TYPE data` (SRV: priority weight port target), owner left out unless asked. */
function show(answer: Answer, withOwner = false): string {
  const owner = withOwner ? `${answer.name} ` : '';
  switch (answer.type) {
    case 'SRV':
      return `${owner}SRV ${answer.data.priority} ${answer.data.weight} ${answer.data.port} ${answer.data.target}`;
    case 'SOA':
      return `${owner}SOA ${answer.data.mname} ${answer.data.rname} ${answer.data.minimum}`;
    case 'TXT':
      return `${owner}TXT ${String(answer.data)}`;
    case 'OPT':
      return 'OPT';
    default:
      return `${owner}${answer.type} ${String(answer.data)}`;
  }
}

interface Row {
  what: string;
  name: string;
  type: string;
  class?: string;
  rcode?: 'NOERROR' | 'NXDOMAIN' | 'REFUSED';
  /** Answers as `show` prints them, in any order. */
  answers?: string[];
  /** The SOA in authority (negative answers). */
  soa?: boolean;
  additionals?: string[];
  forward?: boolean;
  chase?: { name: string; type: string };
}

const SVC = 'svc.cluster.local';
const ZONE_SOA = 'SOA ns.dns.cluster.local hostmaster.cluster.local 5';

const rows: Row[] = [
  // §2.3.1 ClusterIP A/AAAA
  { what: 'ClusterIP A', name: `web.default.${SVC}`, type: 'A', answers: ['A 10.96.0.10'] },
  { what: 'names compare case-insensitively, trailing dot or not', name: `WEB.Default.Svc.Cluster.Local.`, type: 'A', answers: ['A 10.96.0.10'] },
  { what: 'same name, other namespace', name: `web.other.${SVC}`, type: 'A', answers: ['A 10.96.1.10'] },
  { what: 'AAAA of an IPv4-only Service is NODATA, not NXDOMAIN', name: `web.default.${SVC}`, type: 'AAAA', answers: [], soa: true },
  { what: 'HTTPS (type 65) of an existing name is NODATA', name: `web.default.${SVC}`, type: 'UNKNOWN_65', answers: [], soa: true },
  { what: 'TXT of a Service is NODATA', name: `web.default.${SVC}`, type: 'TXT', answers: [], soa: true },
  { what: 'dual-stack A', name: `dual.default.${SVC}`, type: 'A', answers: ['A 10.96.0.20'] },
  { what: 'dual-stack AAAA', name: `dual.default.${SVC}`, type: 'AAAA', answers: ['AAAA fd00::20'] },
  { what: 'ANY gives every record of the name', name: `dual.default.${SVC}`, type: 'ANY', answers: ['A 10.96.0.20', 'AAAA fd00::20', `SRV 0 100 80 dual.default.${SVC}`], additionals: [`A 10.96.0.20`, 'AAAA fd00::20'] },
  // NXDOMAIN
  { what: 'unknown Service', name: `nope.default.${SVC}`, type: 'A', rcode: 'NXDOMAIN', soa: true },
  { what: 'search-expanded external name (ndots:5)', name: `google.com.default.${SVC}`, type: 'A', rcode: 'NXDOMAIN', soa: true },
  { what: 'search-expanded external name, second path', name: `google.com.${SVC}`, type: 'AAAA', rcode: 'NXDOMAIN', soa: true },
  { what: 'search-expanded external name, third path', name: 'google.com.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  { what: 'too many labels below a Service', name: `a.b.c.web.default.${SVC}`, type: 'A', rcode: 'NXDOMAIN', soa: true },
  { what: 'unknown namespace', name: `nosuchns.${SVC}`, type: 'A', rcode: 'NXDOMAIN', soa: true },
  // §2.3.2 ClusterIP SRV
  { what: 'SRV of a named TCP port targets the Service', name: `_http._tcp.web.default.${SVC}`, type: 'SRV', answers: [`SRV 0 100 80 web.default.${SVC}`], additionals: ['A 10.96.0.10'] },
  { what: 'SRV of a named UDP port', name: `_dns._udp.web.default.${SVC}`, type: 'SRV', answers: [`SRV 0 100 53 web.default.${SVC}`], additionals: ['A 10.96.0.10'] },
  { what: 'SRV with the wrong protocol does not exist', name: `_http._udp.web.default.${SVC}`, type: 'SRV', rcode: 'NXDOMAIN', soa: true },
  { what: 'SRV of an unknown port name does not exist', name: `_nope._tcp.web.default.${SVC}`, type: 'SRV', rcode: 'NXDOMAIN', soa: true },
  {
    what: 'SRV of the Service name lists every port (unnamed too), weights shared as CoreDNS',
    name: `web.default.${SVC}`,
    type: 'SRV',
    answers: [`SRV 0 33 80 web.default.${SVC}`, `SRV 0 33 53 web.default.${SVC}`, `SRV 0 33 8080 web.default.${SVC}`],
    additionals: ['A 10.96.0.10'],
  },
  { what: 'A at an SRV name is NODATA', name: `_http._tcp.web.default.${SVC}`, type: 'A', answers: [], soa: true },
  { what: '_proto below a Service is an empty non-terminal (NODATA)', name: `_tcp.web.default.${SVC}`, type: 'A', answers: [], soa: true },
  // Endpoint names on a ClusterIP Service (CoreDNS)
  { what: 'a ready endpoint of a ClusterIP Service by its dashed address', name: `10-244-1-5.web.default.${SVC}`, type: 'A', answers: ['A 10.244.1.5'] },
  { what: 'an unready endpoint has no name', name: `10-244-1-6.web.default.${SVC}`, type: 'A', rcode: 'NXDOMAIN', soa: true },
  // §2.4.1 headless A
  { what: 'headless A lists ready endpoints (ready unset counts as ready)', name: `db.default.${SVC}`, type: 'A', answers: ['A 10.244.1.10', 'A 10.244.2.11', 'A 10.244.3.13'] },
  { what: 'headless AAAA of IPv4 endpoints is NODATA', name: `db.default.${SVC}`, type: 'AAAA', answers: [], soa: true },
  { what: 'StatefulSet pod by hostname', name: `db-0.db.default.${SVC}`, type: 'A', answers: ['A 10.244.1.10'] },
  { what: 'second StatefulSet pod', name: `db-1.db.default.${SVC}`, type: 'A', answers: ['A 10.244.2.11'] },
  { what: 'an unready StatefulSet pod has no name', name: `db-2.db.default.${SVC}`, type: 'A', rcode: 'NXDOMAIN', soa: true },
  { what: 'FQDN slices are ignored', name: `db-9.db.default.${SVC}`, type: 'A', rcode: 'NXDOMAIN', soa: true },
  { what: 'an endpoint without hostname by its dashed address', name: `10-244-3-13.db.default.${SVC}`, type: 'A', answers: ['A 10.244.3.13'] },
  { what: 'headless without ready endpoints is NXDOMAIN (spec §2.4.1)', name: `lonely.default.${SVC}`, type: 'A', rcode: 'NXDOMAIN', soa: true },
  // §2.4.2 headless SRV
  {
    what: 'headless SRV: one per ready endpoint, target hostname or dashed address',
    name: `_pg._tcp.db.default.${SVC}`,
    type: 'SRV',
    answers: [`SRV 0 33 5432 db-0.db.default.${SVC}`, `SRV 0 33 5432 db-1.db.default.${SVC}`, `SRV 0 33 5432 10-244-3-13.db.default.${SVC}`],
    additionals: ['A 10.244.1.10', 'A 10.244.2.11', 'A 10.244.3.13'],
  },
  // §2.3.3 / §2.4.3 PTR
  { what: 'PTR of a ClusterIP', name: '10.0.96.10.in-addr.arpa', type: 'PTR', answers: [`PTR web.default.${SVC}`] },
  { what: 'PTR names compare case-insensitively', name: '10.0.96.10.IN-ADDR.ARPA.', type: 'PTR', answers: [`PTR web.default.${SVC}`] },
  { what: 'PTR of an IPv6 ClusterIP', name: `0.2.${'0.'.repeat(28)}d.f.ip6.arpa`, type: 'PTR', answers: [`PTR dual.default.${SVC}`] },
  { what: 'PTR of a StatefulSet pod', name: '10.1.244.10.in-addr.arpa', type: 'PTR', answers: [`PTR db-0.db.default.${SVC}`] },
  { what: 'PTR of an endpoint without hostname', name: '13.3.244.10.in-addr.arpa', type: 'PTR', answers: [`PTR 10-244-3-13.db.default.${SVC}`] },
  { what: 'PTR of an unknown address is forwarded', name: '99.99.99.10.in-addr.arpa', type: 'PTR', forward: true },
  { what: 'A of a reverse name is forwarded', name: '10.0.96.10.in-addr.arpa', type: 'A', forward: true },
  // §2.5 ExternalName
  { what: 'ExternalName out of the zone: CNAME, completed upstream', name: `ext.default.${SVC}`, type: 'A', answers: ['CNAME www.example.com'], chase: { name: 'www.example.com', type: 'A' } },
  { what: 'CNAME query of an ExternalName: the CNAME alone', name: `ext.default.${SVC}`, type: 'CNAME', answers: ['CNAME www.example.com'] },
  { what: 'ExternalName into the zone is followed', name: `alias.default.${SVC}`, type: 'A', answers: [`CNAME web.default.${SVC}`, 'A 10.96.0.10'] },
  { what: 'ExternalName into the zone, NODATA at the end', name: `alias.default.${SVC}`, type: 'AAAA', answers: [`CNAME web.default.${SVC}`], soa: true },
  { what: 'a CNAME loop stops', name: `loop.default.${SVC}`, type: 'A', answers: [`CNAME loop.default.${SVC}`] },
  { what: 'no SRV names below an ExternalName', name: `_http._tcp.ext.default.${SVC}`, type: 'SRV', rcode: 'NXDOMAIN', soa: true },
  // §2.2 schema version, apex, synthesized names
  { what: 'dns-version TXT', name: 'dns-version.cluster.local', type: 'TXT', answers: [`TXT ${DNS_SCHEMA_VERSION}`] },
  { what: 'dns-version A is NODATA', name: 'dns-version.cluster.local', type: 'A', answers: [], soa: true },
  { what: 'apex SOA', name: 'cluster.local', type: 'SOA', answers: [ZONE_SOA] },
  { what: 'apex NS with glue', name: 'cluster.local', type: 'NS', answers: ['NS ns.dns.cluster.local'], additionals: [`A ${NAMESERVER}`] },
  { what: 'apex A is NODATA', name: 'cluster.local', type: 'A', answers: [], soa: true },
  { what: 'the NS name', name: 'ns.dns.cluster.local', type: 'A', answers: [`A ${NAMESERVER}`] },
  { what: 'svc.<zone> is NODATA', name: SVC, type: 'A', answers: [], soa: true },
  { what: 'a namespace with Services is NODATA', name: `default.${SVC}`, type: 'A', answers: [], soa: true },
  // Pods ("pods insecure")
  { what: 'pod A by dashed address', name: '10-244-1-5.default.pod.cluster.local', type: 'A', answers: ['A 10.244.1.5'] },
  { what: 'pod AAAA of an IPv4 pod name is NODATA', name: '10-244-1-5.default.pod.cluster.local', type: 'AAAA', answers: [], soa: true },
  { what: 'IPv6 pod name', name: 'fd00--1.default.pod.cluster.local', type: 'AAAA', answers: ['AAAA fd00::1'] },
  { what: 'a pod label that is not an address', name: 'web-0.default.pod.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  { what: 'pod.<zone> is NODATA', name: 'pod.cluster.local', type: 'A', answers: [], soa: true },
  // Not ours
  { what: 'names outside the zone are forwarded', name: 'example.com', type: 'A', forward: true },
  { what: 'a zone that merely ends like ours is not ours', name: 'evilcluster.local', type: 'A', forward: true },
  { what: 'other classes are refused in the zone', name: `web.default.${SVC}`, type: 'A', class: 'CH', rcode: 'REFUSED' },
  { what: 'zone transfers are refused', name: 'cluster.local', type: 'AXFR', rcode: 'REFUSED' },
];

describe('resolveQuestion (Kubernetes DNS specification, CoreDNS behaviour)', () => {
  const records = cluster();

  it.each(rows)('$what: $name $type', (row) => {
    const resolution: Resolution = resolveQuestion(records, { name: row.name, type: row.type as RecordType, ...(row.class !== undefined ? { class: row.class as 'IN' } : {}) });
    if (row.forward === true) {
      expect(resolution).toEqual({ kind: 'forward' });
      return;
    }
    if (resolution.kind !== 'answer') throw new Error(`expected an answer, got ${resolution.kind}`);
    expect(resolution.rcode).toBe(row.rcode ?? 'NOERROR');
    expect(resolution.answers.map((answer) => show(answer)).sort()).toEqual([...(row.answers ?? [])].sort());
    expect(resolution.authorities.map((answer) => show(answer))).toEqual(row.soa === true ? [ZONE_SOA] : []);
    expect(resolution.additionals.map((answer) => show(answer)).sort()).toEqual([...(row.additionals ?? [])].sort());
    expect(resolution.chase).toEqual(row.chase);
    if (row.rcode !== 'REFUSED') expect(resolution.authoritative).toBe(true);
  });

  it('answers with the owner name as asked and the configured TTL; dns-version keeps 28800', () => {
    const resolution = resolveQuestion(records, { name: 'Web.Default.svc.cluster.local', type: 'A' });
    expect(resolution.kind === 'answer' && resolution.answers[0]).toMatchObject({ name: 'Web.Default.svc.cluster.local', ttl: 5 });
    const version = resolveQuestion(records, { name: 'dns-version.cluster.local', type: 'TXT' });
    expect(version.kind === 'answer' && version.answers[0]).toMatchObject({ ttl: 28800 });
  });

  it('gives SRV additionals under the target names and the SOA the serial of the last change', () => {
    const resolution = resolveQuestion(records, { name: `_pg._tcp.db.default.${SVC}`, type: 'SRV' });
    if (resolution.kind !== 'answer') throw new Error('expected an answer');
    expect(resolution.additionals.map((answer) => show(answer, true)).sort()).toEqual(
      [`10-244-3-13.db.default.${SVC} A 10.244.3.13`, `db-0.db.default.${SVC} A 10.244.1.10`, `db-1.db.default.${SVC} A 10.244.2.11`].sort(),
    );
    const negative = resolveQuestion(records, { name: `nope.default.${SVC}`, type: 'A' });
    expect(negative.kind === 'answer' && negative.authorities[0]).toMatchObject({ name: 'cluster.local', ttl: 5, data: { serial: NOW / 1000 } });
  });

  it('serves another zone and TTL when configured', () => {
    const custom = new ClusterDnsRecords({ zone: 'Corp.Example.', ttl: 30 });
    const { services, slices } = testCluster();
    custom.update(services, slices);
    const resolution = resolveQuestion(custom, { name: 'web.default.svc.corp.example', type: 'A' });
    expect(resolution.kind === 'answer' && resolution.answers.map((answer) => `${show(answer)} ${'ttl' in answer ? answer.ttl : ''}`)).toEqual(['A 10.96.0.10 30']);
    expect(resolveQuestion(custom, { name: `web.default.${SVC}`, type: 'A' })).toEqual({ kind: 'forward' });
    const nx = resolveQuestion(custom, { name: 'nope.default.svc.corp.example', type: 'A' });
    expect(nx.kind === 'answer' && [nx.rcode, nx.authorities[0]?.name]).toEqual(['NXDOMAIN', 'corp.example']);
  });
});
