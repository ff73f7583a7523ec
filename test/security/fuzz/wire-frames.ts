/**
 * fast-check arbitraries for fuzzed mesh frames (test/security/fuzz-wire.test.ts): the bytes one
 * peer writes on one fresh stream of a protocol — random bytes, truncated frames, length
 * prefixes past the 4 MiB limit or malformed, random msgpack, envelopes of the wrong shape,
 * valid envelopes with bodies that fail their guards, message types of another protocol, and
 * several of those in a row. Frames are length-prefixed as `it-length-prefixed` writes them
 * (an unsigned varint, then the bytes).
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { encodeEnvelope } from '../../../src/net/codec.ts';
import { MAX_FRAME_BYTES } from '../../../src/net/protocols.ts';

export interface WireCase {
  category: string;
  protocol: string;
  bytes: Uint8Array;
  /** Close our writable end after the bytes (the peer then sees EOF, possibly mid-frame). */
  closeWrite: boolean;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

/** An unsigned LEB128 varint of any safe integer (it-length-prefixed's prefix). */
export function varint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

export function framed(payload: Uint8Array): Uint8Array {
  return concat([varint(payload.length), payload]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The message types each protocol's receiving end reads (the rest are "another protocol's"). */
export const PROTOCOL_TYPES: Record<string, readonly string[]> = {
  '/kactus/join/1.0.0': ['join.request'],
  '/kactus/actor/1.0.0': ['pod.status', 'pod.terminated', 'event.recorded', 'actor.transitions', 'token.request', 'volume.directory.created', 'volume.directory.released', 'node.metrics', 'pod.assign', 'pods.sync', 'token.issued', 'token.refused'],
  '/kactus/heartbeat/1.0.0': ['node.heartbeat'],
  '/kactus/watch/1.0.0': ['watch.start', 'watch.event', 'watch.synced'],
  '/kactus/logs/1.0.0': ['logs.request'],
  '/kactus/exec/1.0.0': ['exec.request', 'exec.stdin', 'exec.stdin.end', 'exec.resize'],
  '/kactus/attach/1.0.0': ['attach.request', 'exec.stdin', 'exec.stdin.end', 'exec.resize'],
  '/kactus/portforward/1.0.0': ['portforward.request', 'portforward.data'],
};
const ALL_TYPES = [...new Set(Object.values(PROTOCOL_TYPES).flat()), 'logs.chunk', 'logs.end', 'exec.output', 'exec.exit', 'join.accepted', 'join.refused', 'x', 'pod.status.extra'];

/** Bodies close to the real ones: right keys, wrong or odd values. */
const nearBody = fc.oneof(
  fc.record({ namespace: fc.oneof(fc.string(), fc.constant('default')), name: fc.string(), uid: fc.string(), status: fc.oneof(fc.object(), fc.constant({ phase: 'Running' })) }, { requiredKeys: [] }),
  fc.record({ nodeName: fc.oneof(fc.constant('fuzzer'), fc.string()), ready: fc.anything(), capacity: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.constant({ cpu: 'lots' })), allocatable: fc.anything(), nodeInfo: fc.anything(), addresses: fc.anything(), time: fc.oneof(fc.string(), fc.constant('2020-01-01T00:00:00Z')) }, { requiredKeys: [] }),
  fc.record({ resources: fc.oneof(fc.array(fc.constantFrom('services', 'nodes', 'secrets', 'pods', '')), fc.anything()) }),
  fc.record({ items: fc.array(fc.anything(), { maxLength: 5 }), dropped: fc.anything() }, { requiredKeys: [] }),
  fc.record({ id: fc.anything(), namespace: fc.string(), serviceAccountName: fc.string(), audiences: fc.anything(), expirationSeconds: fc.anything(), boundPod: fc.anything() }, { requiredKeys: [] }),
  fc.record({ token: fc.oneof(fc.string(), fc.constant('abcdef.0123456789abcdef')), nodeName: fc.string(), capacity: fc.anything(), addresses: fc.anything(), localVolumesDir: fc.anything() }, { requiredKeys: [] }),
  fc.record({ namespace: fc.string(), name: fc.string(), container: fc.anything(), follow: fc.anything(), command: fc.anything(), port: fc.anything(), data: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.anything()), cols: fc.anything(), rows: fc.anything() }, { requiredKeys: [] }),
  fc.anything({ maxDepth: 3 }),
);

const envelope = (protocol: string): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    // A type this protocol reads, a body that is wrong for it.
    fc.tuple(fc.constantFrom(...PROTOCOL_TYPES[protocol]!), nearBody).map(([type, body]) => framed(encodeEnvelope(type, body))),
    // Any type, of this protocol or not.
    fc.tuple(fc.constantFrom(...ALL_TYPES), nearBody).map(([type, body]) => framed(encodeEnvelope(type, body))),
    // An envelope of the wrong shape: bad version, type not a string, a type too long, extra keys.
    fc.record({ v: fc.oneof(fc.constant(1), fc.anything()), type: fc.oneof(fc.constantFrom(...ALL_TYPES), fc.anything(), fc.constant('t'.repeat(129))), body: nearBody, extra: fc.anything() }, { requiredKeys: [] }).map((env) => framed(packr.pack(env))),
    // Valid msgpack of anything at all.
    fc.anything().map((v) => framed(packr.pack(v))),
  );

const frameFor = (protocol: string): fc.Arbitrary<{ category: string; bytes: Uint8Array }> =>
  fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ category: 'random bytes', bytes })), weight: 3 },
    { arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => ({ category: 'random payload, framed', bytes: framed(b) })), weight: 3 },
    { arbitrary: envelope(protocol).map((bytes) => ({ category: 'msgpack of the wrong shape', bytes })), weight: 8 },
    {
      arbitrary: fc.tuple(envelope(protocol), fc.nat()).map(([bytes, cut]) => ({ category: 'truncated frame', bytes: bytes.subarray(0, Math.max(1, cut % bytes.length)) })),
      weight: 3,
    },
    {
      arbitrary: fc.tuple(fc.oneof(fc.integer({ min: MAX_FRAME_BYTES + 1, max: 2 ** 31 }), fc.constant(2 ** 53 - 1)), fc.uint8Array({ maxLength: 64 })).map(([n, rest]) => ({ category: 'huge length prefix', bytes: concat([varint(n), rest]) })),
      weight: 2,
    },
    { arbitrary: fc.integer({ min: 6, max: 16 }).map((n) => ({ category: 'malformed varint', bytes: new Uint8Array(n).fill(0xff) })), weight: 1 },
    { arbitrary: fc.constant(0).map(() => ({ category: 'empty frame', bytes: framed(new Uint8Array()) })), weight: 1 },
    {
      // A large frame within the limit (1 MiB: 10,000 of the full 4 MiB would be gigabytes), or one just past it.
      arbitrary: fc.boolean().map((over) => ({ category: over ? 'frame past 4 MiB' : 'large frame', bytes: over ? concat([varint(MAX_FRAME_BYTES + 1), new Uint8Array(1024)]) : framed(packr.pack({ v: 1, type: 'x', body: new Uint8Array(1024 * 1024) })) })),
      weight: 1,
    },
  );

/** One fuzzed stream: a protocol of `protocols`, one to four frames, closed or left open. */
export function wireCase(protocols: readonly string[]): fc.Arbitrary<WireCase> {
  return fc
    .constantFrom(...protocols)
    .chain((protocol) => fc.tuple(fc.constant(protocol), fc.array(frameFor(protocol), { minLength: 1, maxLength: 4 }), fc.boolean()))
    .map(([protocol, frames, closeWrite]) => {
      const c: WireCase = { category: frames.map((f) => f.category).join(' + '), protocol, bytes: concat(frames.map((f) => f.bytes)), closeWrite };
      return Object.assign(c, { [fc.toStringMethod]: () => `[${c.category}] ${protocol} ${c.bytes.length} B${closeWrite ? ' then EOF' : ''}: ${Buffer.from(c.bytes.subarray(0, 64)).toString('hex')}` });
    });
}
