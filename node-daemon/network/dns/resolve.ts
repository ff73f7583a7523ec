/**
 * Answering one question from the cluster zone (pure): what CoreDNS' kubernetes plugin answers,
 * from the records `ClusterDnsRecords` holds plus the names the zone synthesizes (the apex, `svc`
 * and `pod`, namespaces, `dns-version`, `ns.dns`, pod addresses). Names outside the zone, and
 * reverse names the cluster does not know, are for the upstream resolvers (`forward`).
 *
 * The rules that keep stub resolvers fast and correct:
 * - a name that exists with no record of the asked type is NODATA (NOERROR, no answers, the SOA
 *   in authority) — never NXDOMAIN, which would deny the name's other types too (RFC 8020);
 * - a name in the zone that does not exist is NXDOMAIN with the SOA (negative caching, RFC 2308),
 *   answered at once: search-list expansions (`google.com.default.svc.cluster.local`) are never
 *   forwarded and never SERVFAIL.
 */
import type { Answer, Question, RecordType } from 'dns-packet';
import { addressFromLabel, isInZone, isReverseName, labelsBelow, normalizeName } from './names.ts';
import type { ClusterDnsRecords } from './records.ts';
import type { NameRecords } from './service-records.ts';

/** The schema version of https://github.com/kubernetes/dns/blob/master/docs/specification.md served at `dns-version.<zone>`. */
export const DNS_SCHEMA_VERSION = '1.1.0';
/** TTL of the `dns-version` TXT record (CoreDNS and the specification's example). */
const SCHEMA_VERSION_TTL = 28800;
/** CNAMEs followed inside the zone before the chain is cut (CoreDNS follows up to 10). */
const MAX_CNAME_CHAIN = 8;

export interface ZoneAnswer {
  kind: 'answer';
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED';
  /** Set for answers from the zone (and reverse names the cluster owns). */
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /**
   * The CNAME chain leaves the zone (an ExternalName Service): the server asks its upstreams
   * for `name` / `type` and appends what they answer, as CoreDNS does, so stub resolvers that
   * do not chase CNAMEs themselves still get addresses.
   */
  chase?: { name: string; type: QueryType };
}

export type Resolution = ZoneAnswer | { kind: 'forward' };

/** A question's type as dns-packet decodes it: a known record type, `ANY`, or `UNKNOWN_<n>` (e.g. HTTPS). */
export type QueryType = RecordType | 'ANY' | `UNKNOWN_${number}`;

/** A name in the zone: records built from Services, or synthesized. */
interface ZoneNode extends NameRecords {
  /** The zone apex: holds the SOA and NS. */
  apex?: boolean;
  txt?: string;
}

const EMPTY: ZoneNode = { a: [], aaaa: [], srv: [] };

/** Answer `question` from `records`, or say it is for the upstream resolvers. */
export function resolveQuestion(records: ClusterDnsRecords, question: Question): Resolution {
  const name = normalizeName(question.name);
  if (!isInZone(name, records.zone)) {
    if (question.type === 'PTR' && isReverseName(name)) {
      const targets = records.lookupPtr(name);
      if (targets !== undefined) {
        const answers: Answer[] = targets.map((target) => ({ name: question.name, type: 'PTR', ttl: records.ttl, data: target }));
        return { kind: 'answer', rcode: 'NOERROR', authoritative: true, answers, authorities: [], additionals: [] };
      }
    }
    return { kind: 'forward' };
  }
  // The zone holds Internet-class data only; zone transfers are not served (as CoreDNS).
  const cls = question.class ?? 'IN';
  if ((cls !== 'IN' && cls !== 'ANY') || question.type === 'AXFR' || question.type === 'IXFR') {
    return { kind: 'answer', rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] };
  }
  return resolveInZone(records, question.name, name, question.type as QueryType, []);
}

function resolveInZone(records: ClusterDnsRecords, owner: string, name: string, type: QueryType, chain: Answer[]): ZoneAnswer {
  const node: ZoneNode | undefined = records.lookup(name) ?? synthesize(records, name);
  if (node === undefined) return negative(records, 'NXDOMAIN', chain);

  if (node.cname !== undefined && type !== 'CNAME') {
    const cname: Answer = { name: owner, type: 'CNAME', ttl: records.ttl, data: node.cname };
    const followed = [...chain, cname];
    const loops = chain.some((answer) => normalizeName(answer.name) === node.cname) || normalizeName(owner) === node.cname;
    if (loops || followed.length > MAX_CNAME_CHAIN) return answer(followed, []);
    if (isInZone(node.cname, records.zone)) return resolveInZone(records, node.cname, node.cname, type, followed);
    return { ...answer(followed, []), chase: { name: node.cname, type } };
  }

  const answers = [...chain];
  const additionals: Answer[] = [];
  const wants = (t: QueryType): boolean => type === t || type === 'ANY';
  const ttl = records.ttl;
  if (wants('A')) for (const ip of node.a) answers.push({ name: owner, type: 'A', ttl, data: ip });
  if (wants('AAAA')) for (const ip of node.aaaa) answers.push({ name: owner, type: 'AAAA', ttl, data: ip });
  if (wants('CNAME') && node.cname !== undefined) answers.push({ name: owner, type: 'CNAME', ttl, data: node.cname });
  if (wants('SRV') && node.srv.length > 0) {
    for (const srv of node.srv) answers.push({ name: owner, type: 'SRV', ttl, data: { ...srv } });
    additionals.push(...srvAdditionals(records, node));
  }
  if (wants('TXT') && node.txt !== undefined) answers.push({ name: owner, type: 'TXT', ttl: SCHEMA_VERSION_TTL, data: node.txt });
  if (node.apex === true) {
    if (wants('SOA')) answers.push(soa(records));
    if (wants('NS')) {
      const ns = `ns.dns.${records.zone}`;
      answers.push({ name: owner, type: 'NS', ttl, data: ns });
      additionals.push(...addressRecords(ns, records.nameserver, ttl));
    }
  }
  if (answers.length === chain.length) return negative(records, 'NOERROR', chain);
  return answer(answers, additionals);
}

/** Names the zone holds without a Service behind them. */
function synthesize(records: ClusterDnsRecords, name: string): ZoneNode | undefined {
  const labels = labelsBelow(name, records.zone);
  const [first, second, third] = labels;
  switch (labels.length) {
    case 0:
      return { ...EMPTY, apex: true };
    case 1:
      if (first === 'svc' || first === 'pod' || first === 'dns') return EMPTY;
      if (first === 'dns-version') return { ...EMPTY, txt: DNS_SCHEMA_VERSION };
      return undefined;
    case 2:
      if (first === 'ns' && second === 'dns') return records.nameserver;
      // `<ns>.svc` exists while the namespace holds a Service (CoreDNS asks whether the
      // namespace exists; only Services are known here). `<ns>.pod` holds pod names for any
      // namespace, so it always exists.
      if (second === 'svc' && first !== undefined && records.hasNamespace(first)) return EMPTY;
      if (second === 'pod') return EMPTY;
      return undefined;
    case 3: {
      // CoreDNS "pods insecure": `a-b-c-d.<ns>.pod.<zone>` is the address its label spells.
      if (third !== 'pod' || first === undefined) return undefined;
      const address = addressFromLabel(first);
      if (address === undefined) return undefined;
      return address.family === 'IPv4' ? { ...EMPTY, a: [address.address] } : { ...EMPTY, aaaa: [address.address] };
    }
    default:
      return undefined;
  }
}

/** The addresses of in-zone SRV targets, for the additional section (RFC 2782). */
function srvAdditionals(records: ClusterDnsRecords, node: NameRecords): Answer[] {
  const out: Answer[] = [];
  const seen = new Set<string>();
  for (const { target } of node.srv) {
    if (seen.has(target)) continue;
    seen.add(target);
    const at = records.lookup(target);
    if (at !== undefined) out.push(...addressRecords(target, at, records.ttl));
  }
  return out;
}

function addressRecords(owner: string, node: NameRecords, ttl: number): Answer[] {
  return [
    ...node.a.map((ip): Answer => ({ name: owner, type: 'A', ttl, data: ip })),
    ...node.aaaa.map((ip): Answer => ({ name: owner, type: 'AAAA', ttl, data: ip })),
  ];
}

/** The zone's SOA, as CoreDNS builds it: TTL min(ttl, 300), negative-caching TTL = ttl. */
export function soa(records: ClusterDnsRecords): Answer {
  return {
    name: records.zone,
    type: 'SOA',
    ttl: Math.min(records.ttl, 300),
    data: {
      mname: `ns.dns.${records.zone}`,
      rname: `hostmaster.${records.zone}`,
      serial: records.serial,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: records.ttl,
    },
  };
}

function answer(answers: Answer[], additionals: Answer[]): ZoneAnswer {
  return { kind: 'answer', rcode: 'NOERROR', authoritative: true, answers, authorities: [], additionals };
}

/** NXDOMAIN, or NODATA (NOERROR without answers of the type), with the SOA for negative caching. */
function negative(records: ClusterDnsRecords, rcode: 'NOERROR' | 'NXDOMAIN', chain: Answer[]): ZoneAnswer {
  return { kind: 'answer', rcode, authoritative: true, answers: [...chain], authorities: [soa(records)], additionals: [] };
}
