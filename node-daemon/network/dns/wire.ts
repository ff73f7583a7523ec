/**
 * DNS messages on the wire (pure, over dns-packet): reading a query, building its response with
 * the header bits a resolver expects, EDNS(0), and truncation to what the client can receive.
 */
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type Question } from 'dns-packet';

/** The classic UDP limit without EDNS (RFC 1035). */
export const CLASSIC_UDP_SIZE = 512;
/** The UDP size we advertise in EDNS: the DNS flag day 2020 value, which avoids IP fragmentation. */
export const ADVERTISED_UDP_SIZE = 1232;
/** A TCP message's length prefix is 16 bits. */
export const MAX_TCP_MESSAGE = 65535;

const OPCODE_MASK = 0xf << 11;
const RCODE_MASK = 0xf;
const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = keyof typeof RCODES;
/** EDNS extended RCODE BADVERS (16): its upper 8 bits go in the OPT record. */
const BADVERS_EXTENDED = 1;

export interface ParsedQuery {
  packet: DecodedPacket;
  /** The single question, when the query is one we can answer. */
  question?: Question;
  /** Why the query cannot be answered as asked (FORMERR, NOTIMP, BADVERS). */
  problem?: 'FORMERR' | 'NOTIMP' | 'BADVERS';
  /** The client's EDNS record, if it sent one. */
  edns?: OptAnswer;
  /** The largest UDP response the client accepts. */
  udpLimit: number;
}

/**
 * Decode a query; undefined for bytes that are not a DNS query at all (garbage, or a response:
 * answering responses could loop between servers), which are dropped without reply.
 */
export function parseQuery(bytes: Buffer): ParsedQuery | undefined {
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(bytes);
  } catch {
    return undefined;
  }
  if (packet.flag_qr) return undefined;
  const edns = packet.additionals?.find((record): record is OptAnswer => record.type === 'OPT');
  const udpLimit = edns === undefined ? CLASSIC_UDP_SIZE : Math.max(CLASSIC_UDP_SIZE, edns.udpPayloadSize);
  const parsed: ParsedQuery = { packet, udpLimit, ...(edns !== undefined ? { edns } : {}) };
  const opcode = ((packet.flags ?? 0) & OPCODE_MASK) >> 11;
  if (opcode !== 0) return { ...parsed, problem: 'NOTIMP' };
  if (edns !== undefined && edns.ednsVersion !== 0) return { ...parsed, problem: 'BADVERS' };
  const questions = packet.questions ?? [];
  if (questions.length !== 1 || questions[0] === undefined) return { ...parsed, problem: 'FORMERR' };
  return { ...parsed, question: questions[0] };
}

export interface ResponseParts {
  rcode: Rcode;
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

/**
 * The response to `query`: same id and question, RD and CD copied, RA set (the server resolves
 * names outside its zone), an OPT record when the client sent one. When it exceeds `maxSize` the
 * additional section goes first (that needs no TC, RFC 2181 §9); if it still does not fit, TC is
 * set and as many whole answers as fit are kept (what CoreDNS does: a client that cannot retry
 * over TCP still gets some addresses).
 */
export function encodeResponse(query: ParsedQuery, parts: ResponseParts, maxSize: number): Buffer {
  const flags = responseFlags(query, parts.rcode, parts.authoritative);
  const opt = query.edns === undefined ? [] : [optRecord(query.problem === 'BADVERS')];
  const base = {
    type: 'response' as const,
    id: query.packet.id ?? 0,
    questions: query.packet.questions ?? [],
  };
  const full = { ...base, flags, answers: parts.answers, authorities: parts.authorities, additionals: [...parts.additionals, ...opt] };
  const whole = dnsPacket.encode(full);
  if (whole.length <= maxSize) return whole;
  const withoutAdditionals = { ...full, additionals: opt };
  if (dnsPacket.encodingLength(withoutAdditionals) <= maxSize) return dnsPacket.encode(withoutAdditionals);

  const truncated = { ...base, flags: flags | dnsPacket.TRUNCATED_RESPONSE, answers: [] as Answer[], authorities: [], additionals: opt };
  let size = dnsPacket.encodingLength(truncated);
  for (const record of parts.answers) {
    const recordSize = dnsPacket.encodingLength({ answers: [record] }) - dnsPacket.encodingLength({});
    if (size + recordSize > maxSize) break;
    truncated.answers.push(record);
    size += recordSize;
  }
  return dnsPacket.encode(truncated);
}

/** A response with no records: errors (FORMERR, NOTIMP, SERVFAIL, REFUSED) and BADVERS. */
export function encodeError(query: ParsedQuery, rcode: Rcode): Buffer {
  return encodeResponse(query, { rcode, authoritative: false, answers: [], authorities: [], additionals: [] }, MAX_TCP_MESSAGE);
}

function responseFlags(query: ParsedQuery, rcode: Rcode, authoritative: boolean): number {
  const asked = query.packet.flags ?? 0;
  const copied = asked & (OPCODE_MASK | dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED);
  const aa = authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0;
  return copied | aa | dnsPacket.RECURSION_AVAILABLE | (RCODES[rcode] & RCODE_MASK);
}

function optRecord(badVersion: boolean): OptAnswer {
  return {
    name: '.',
    type: 'OPT',
    udpPayloadSize: ADVERTISED_UDP_SIZE,
    extendedRcode: badVersion ? BADVERS_EXTENDED : 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
}

/** The rcode of a response (low 4 bits of its flags), or undefined for bytes too short to hold a header. */
export function responseRcode(bytes: Buffer): Rcode | undefined {
  if (bytes.length < 12) return undefined;
  const code = bytes.readUInt16BE(2) & RCODE_MASK;
  return (Object.keys(RCODES) as Rcode[]).find((name) => RCODES[name] === code);
}

/**
 * The bytes of a message's first question (name, type, class), or undefined when it has none or
 * it is malformed. Questions never use compression pointers in practice; one here (pointing into
 * the header) is malformed.
 */
export function questionBytes(bytes: Buffer): Buffer | undefined {
  if (bytes.length < 12 || bytes.readUInt16BE(4) < 1) return undefined;
  let offset = 12;
  while (offset < bytes.length) {
    const length = bytes[offset] ?? 0;
    if (length === 0) {
      const end = offset + 1 + 4;
      return end <= bytes.length ? bytes.subarray(12, end) : undefined;
    }
    if ((length & 0xc0) !== 0) return undefined;
    offset += 1 + length;
  }
  return undefined;
}
