/**
 * The SPDY/3 server session against a client written from the spec (frames.ts encoders plus its
 * own zlib stream), so what spdystream relies on is checked frame by frame: replies, data both
 * ways with FIN, refusals, resets, pings, frames split across transport writes, and backpressure.
 * kubectl itself drives it in test/apiserver/pod-portforward.test.ts.
 */
import { duplexPair, type Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  FrameReader,
  RstStatus,
  decodeHeaderBlock,
  encodeData,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSynStream,
  type SpdyFrame,
} from './frames.ts';
import { HeaderCompression } from './header-compression.ts';
import { SpdySession, type SpdyStream } from './session.ts';
import { waitFor } from '../../../test/support/wait.ts';

/** The client end: writes frames, collects the server's. */
function client(onStream: (s: SpdyStream) => void): { send(b: Buffer): void; frames: SpdyFrame[]; compression: HeaderCompression; session: SpdySession; transport: Duplex } {
  const [clientSide, serverSide] = duplexPair();
  const session = new SpdySession(serverSide, { onStream });
  const reader = new FrameReader();
  const frames: SpdyFrame[] = [];
  clientSide.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  return { send: (b) => clientSide.write(b), frames, compression: new HeaderCompression(), session, transport: clientSide };
}

async function synStream(c: ReturnType<typeof client>, id: number, headers: Record<string, string>, fin = false): Promise<void> {
  const block = await c.compression.deflate(encodeHeaderBlock(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]))));
  c.send(encodeSynStream(id, block, fin));
}

describe('SPDY frames', () => {
  it('reads frames split anywhere and joined together, and header blocks both ways', () => {
    const frames = Buffer.concat([encodeData(1, Buffer.from('abc'), false), encodePing(7), encodeRstStream(3, RstStatus.cancel), encodeData(1, Buffer.alloc(0), true)]);
    const reader = new FrameReader();
    const got: SpdyFrame[] = [];
    for (let at = 0; at < frames.length; at += 3) got.push(...reader.push(frames.subarray(at, at + 3)));
    expect(got).toEqual([
      { type: 'data', streamId: 1, fin: false, data: Buffer.from('abc') },
      { type: 'ping', id: 7 },
      { type: 'rstStream', streamId: 3, status: RstStatus.cancel },
      { type: 'data', streamId: 1, fin: true, data: Buffer.alloc(0) },
    ]);
    expect(decodeHeaderBlock(encodeHeaderBlock({ streamtype: ['data'], port: ['8080'], multi: ['a', 'b'] }))).toEqual({ streamtype: ['data'], port: ['8080'], multi: ['a', 'b'] });
  });

  it('refuses a frame larger than the limit and a version other than 3', () => {
    expect(() => new FrameReader(4).push(encodeData(1, Buffer.alloc(5), false))).toThrow(/exceeds the limit/);
    const v2 = encodePing(1);
    v2.writeUInt16BE(0x8002, 0);
    expect(() => new FrameReader().push(v2)).toThrow(/unsupported SPDY version 2/);
  });

  it('compresses header blocks as one stream per direction (later blocks use earlier ones)', async () => {
    const a = new HeaderCompression();
    const b = new HeaderCompression();
    for (let i = 0; i < 3; i++) {
      const block = encodeHeaderBlock({ streamtype: ['error'], port: ['8080'], requestid: [String(i)] });
      expect((await b.inflate(await a.deflate(block))).equals(block)).toBe(true);
    }
  });
});

describe('SPDY session', () => {
  it('answers a stream, carries data both ways and half-closes with FIN', async () => {
    const streams: SpdyStream[] = [];
    const c = client((s) => {
      streams.push(s);
      s.accept();
    });
    await synStream(c, 1, { streamtype: 'data', port: '8080', requestid: '0' });
    const stream = await waitFor('the stream', () => streams[0]);
    expect(stream.header('port')).toBe('8080');
    expect(stream.header('streamType')).toBe('data');
    const received: Buffer[] = [];
    stream.on('data', (d: Buffer) => received.push(d));
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    c.send(encodeData(1, Buffer.from('ping?'), false));
    c.send(encodeData(1, Buffer.alloc(0), true));
    await ended;
    expect(Buffer.concat(received).toString()).toBe('ping?');
    stream.end('pong!');
    await waitFor('FIN from the server', () => c.frames.some((f) => f.type === 'data' && f.fin));
    const [reply, ...rest] = c.frames;
    expect(reply).toMatchObject({ type: 'synReply', streamId: 1 });
    expect(decodeHeaderBlock(await c.compression.inflate((reply as { headerBlock: Buffer }).headerBlock))).toEqual({});
    expect(rest).toEqual([
      { type: 'data', streamId: 1, fin: false, data: Buffer.from('pong!') },
      { type: 'data', streamId: 1, fin: true, data: Buffer.alloc(0) },
    ]);
    // Both sides ended and read: the stream is released, without a reset.
    await waitFor('the stream released', () => c.session.openStreams === 0);
    expect(c.frames.some((f) => f.type === 'rstStream')).toBe(false);
  });

  it('refuses with RST_STREAM, echoes pings, and a client reset ends the stream with an error', async () => {
    const streams: SpdyStream[] = [];
    const c = client((s) => {
      streams.push(s);
      if (s.header('port') === 'bad') s.refuse();
      else s.accept();
    });
    await synStream(c, 1, { port: 'bad' });
    c.send(encodePing(5));
    await synStream(c, 3, { port: '1' });
    const good = await waitFor('the second stream', () => streams[1]);
    const error = new Promise<Error>((resolve) => good.on('error', resolve));
    c.send(encodeRstStream(3, RstStatus.cancel));
    expect((await error).message).toMatch(/reset by the client/);
    await waitFor('three answers', () => c.frames.length >= 3 || undefined);
    expect(c.frames.map((f) => f.type)).toEqual(['rstStream', 'ping', 'synReply']);
    expect(c.frames[0]).toEqual({ type: 'rstStream', streamId: 1, status: RstStatus.cancel });
    expect(c.frames[1]).toEqual({ type: 'ping', id: 5 });
  });

  it('pauses the transport while a reader is full, and resumes when it reads', async () => {
    const streams: SpdyStream[] = [];
    const c = client((s) => {
      streams.push(s);
      s.accept();
    });
    await synStream(c, 1, { port: '1' });
    const stream = await waitFor('the stream', () => streams[0]);
    const piece = Buffer.alloc(32 * 1024, 1);
    for (let i = 0; i < 64; i++) c.send(encodeData(1, piece, false));
    // Nobody reads: the session stops taking the transport's data once the reader's buffer is full.
    await waitFor('the reader full', () => stream.readableLength >= stream.readableHighWaterMark);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.readableLength).toBeLessThan(64 * piece.length);
    let total = stream.readableLength;
    stream.on('data', (d: Buffer) => (total += d.length));
    await waitFor('everything read', () => total >= 64 * piece.length + stream.readableLength);
  });

  it('a connection the client closes ends open streams with an error, and the session', async () => {
    const streams: SpdyStream[] = [];
    const c = client((s) => {
      streams.push(s);
      s.accept();
    });
    await synStream(c, 1, { port: '1' });
    const stream = await waitFor('the stream', () => streams[0]);
    const error = new Promise<Error>((resolve) => stream.on('error', resolve));
    c.transport.end();
    expect((await error).message).toMatch(/the client closed the connection/);
    await c.session.closed;
  });
});
