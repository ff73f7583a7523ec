import dnsPacket, { type Answer } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { ClusterDnsRecords } from './records.ts';
import { resolveQuestion } from './resolve.ts';
import { testCluster } from './test-cluster.ts';
import { encodeError, encodeResponse, parseQuery, questionBytes, type ParsedQuery } from './wire.ts';

function query(edns?: number): ParsedQuery {
  const bytes = dnsPacket.encode({
    type: 'query',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED,
    questions: [{ name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV' }],
    ...(edns !== undefined ? { additionals: [{ name: '.', type: 'OPT', udpPayloadSize: edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] } : {}),
  });
  const parsed = parseQuery(bytes);
  if (parsed === undefined) throw new Error('query did not parse');
  return parsed;
}

const srv = (i: number): Answer => ({ name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 10, port: 80, target: `host-${i}.web.default.svc.cluster.local` } });
const a = (i: number): Answer => ({ name: `host-${i}.web.default.svc.cluster.local`, type: 'A', ttl: 5, data: `10.244.0.${i}` });

describe('encodeResponse', () => {
  it('copies id, RD and CD, sets QR, RA and AA, and the rcode', () => {
    const reply = dnsPacket.decode(encodeResponse(query(), { rcode: 'NXDOMAIN', authoritative: true, answers: [], authorities: [], additionals: [] }, 512));
    expect(reply).toMatchObject({ id: 7, flag_qr: true, flag_rd: true, flag_cd: true, flag_ra: true, flag_aa: true, flag_tc: false, rcode: 'NXDOMAIN' });
  });

  it('drops the additional section before truncating answers (no TC needed), keeping OPT', () => {
    const parts = { rcode: 'NOERROR' as const, authoritative: true, answers: [1, 2, 3].map(srv), authorities: [], additionals: Array.from({ length: 12 }, (_, i) => a(i)) };
    const bytes = encodeResponse(query(1232), parts, 512);
    const reply = dnsPacket.decode(bytes);
    expect(bytes.length).toBeLessThanOrEqual(512);
    expect([reply.flag_tc, reply.answers?.length, reply.additionals?.map((record) => record.type)]).toEqual([false, 3, ['OPT']]);
  });

  it('sets TC and keeps the whole answers that fit when the answers alone are too large', () => {
    const parts = { rcode: 'NOERROR' as const, authoritative: true, answers: Array.from({ length: 20 }, (_, i) => srv(i)), authorities: [], additionals: [] };
    const bytes = encodeResponse(query(), parts, 512);
    const reply = dnsPacket.decode(bytes);
    expect(bytes.length).toBeLessThanOrEqual(512);
    expect(reply.flag_tc).toBe(true);
    expect(reply.answers!.length).toBeGreaterThan(3);
    // One more answer would not have fitted.
    const next = dnsPacket.encodingLength({ answers: [srv(0)] }) - dnsPacket.encodingLength({});
    expect(bytes.length + next).toBeGreaterThan(512);
  });
});

describe('parseQuery and questionBytes', () => {
  it('reads the client\'s UDP size from EDNS (at least 512)', () => {
    expect(query().udpLimit).toBe(512);
    expect(query(4096).udpLimit).toBe(4096);
    expect(query(100).udpLimit).toBe(512);
  });

  it('finds the question bytes, and nothing in malformed messages', () => {
    const bytes = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a.example', type: 'A' }] });
    expect(questionBytes(bytes)?.length).toBe(11 + 4);
    expect(questionBytes(bytes.subarray(0, 14))).toBeUndefined();
    expect(questionBytes(Buffer.from('0001000000010000000000000c', 'hex'))).toBeUndefined();
  });
});

describe('mutated queries', () => {
  it('either fail to parse or are answered without throwing (20,000 queries with 1-4 random bytes changed)', () => {
    const records = new ClusterDnsRecords();
    const { services, slices } = testCluster();
    records.update(services, slices);
    const opt: Answer = { name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
    const bases = (
      [
        ['web.default.svc.cluster.local', 'A'],
        ['_pg._tcp.db.default.svc.cluster.local', 'SRV'],
        ['alias.default.svc.cluster.local', 'A'],
        ['10.0.96.10.in-addr.arpa', 'PTR'],
        ['cluster.local', 'NS'],
      ] as const
    ).map(([name, type], id) => dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }], additionals: [opt] }));
    let seed = 42;
    const random = (below: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % below;
    };
    let answered = 0;
    for (let n = 0; n < 20_000; n++) {
      const bytes = Buffer.from(bases[n % bases.length]!);
      for (let flips = 1 + random(4); flips > 0; flips--) bytes[random(bytes.length)] = random(256);
      const query = parseQuery(bytes);
      if (query === undefined) continue;
      answered++;
      if (query.question === undefined) {
        expect(() => encodeError(query, query.problem === 'NOTIMP' ? 'NOTIMP' : 'FORMERR')).not.toThrow();
        continue;
      }
      const resolution = resolveQuestion(records, query.question);
      if (resolution.kind === 'answer') expect(encodeResponse(query, resolution, query.udpLimit).length).toBeLessThanOrEqual(Math.max(512, query.udpLimit));
    }
    // Not vacuous: most mutations keep a decodable query.
    expect(answered).toBeGreaterThan(5000);
  });
});
