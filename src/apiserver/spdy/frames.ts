/**
 * SPDY/3 frames, as moby/spdystream (what client-go's `httpstream/spdy` is built on) writes and
 * reads them: the server side of `kubectl port-forward`. Pure: bytes in, frames out, and back.
 *
 *   control frame  |1| version (15) | type (16) | flags (8) | length (24) | payload
 *   data frame     |0| stream id (31)           | flags (8) | length (24) | data
 *
 * Header blocks (SYN_STREAM, SYN_REPLY, HEADERS) are zlib-compressed over the whole connection
 * (header-compression.ts); here they stay opaque bytes, and `encodeHeaderBlock` /
 * `decodeHeaderBlock` handle the uncompressed form: a count, then length-prefixed name/value
 * pairs, several values of one name joined by NUL.
 *
 * Why not spdy-transport: its parser refuses a SYN_STREAM without `:method` and `:path` (an HTTP
 * request over SPDY), and kubectl's streams carry only `streamtype`, `port` and `requestid`; it
 * also enforces SPDY/3 send windows that spdystream never opens (spdystream ignores
 * WINDOW_UPDATE and SETTINGS), so a forwarded connection would stall after 64 KiB.
 */

export const SPDY_VERSION = 3;

/** Frame types (SPDY/3 §2.6). */
export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes used here. */
export const RstStatus = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5, internalError: 6 } as const;

/** GOAWAY status: OK. */
export const GOAWAY_OK = 0;

/** Largest frame payload SPDY can express (24-bit length). */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { type: 'synStream'; streamId: number; associatedId: number; priority: number; fin: boolean; unidirectional: boolean; headerBlock: Buffer }
  | { type: 'synReply'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'rstStream'; streamId: number; status: number }
  | { type: 'settings' }
  | { type: 'ping'; id: number }
  | { type: 'goAway'; lastGoodStreamId: number; status: number }
  | { type: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'windowUpdate'; streamId: number; delta: number }
  | { type: 'other'; frameType: number };

/** A frame that breaks the protocol: the session ends (GOAWAY, then close). */
export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

const STREAM_ID_MASK = 0x7fffffff;

function need(payload: Buffer, bytes: number, what: string): void {
  if (payload.length < bytes) throw new SpdyProtocolError(`${what} frame too short: ${payload.length} bytes`);
}

function controlFrame(type: number, flags: number, payload: Buffer): SpdyFrame {
  switch (type) {
    case FrameType.synStream:
      need(payload, 10, 'SYN_STREAM');
      return {
        type: 'synStream',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        associatedId: payload.readUInt32BE(4) & STREAM_ID_MASK,
        priority: payload.readUInt8(8) >> 5,
        fin: (flags & FLAG_FIN) !== 0,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: payload.subarray(10),
      };
    case FrameType.synReply:
      need(payload, 4, 'SYN_REPLY');
      return { type: 'synReply', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, fin: (flags & FLAG_FIN) !== 0, headerBlock: payload.subarray(4) };
    case FrameType.rstStream:
      need(payload, 8, 'RST_STREAM');
      return { type: 'rstStream', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
    case FrameType.settings:
      return { type: 'settings' };
    case FrameType.ping:
      need(payload, 4, 'PING');
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case FrameType.goAway:
      need(payload, 8, 'GOAWAY');
      return { type: 'goAway', lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
    case FrameType.headers:
      need(payload, 4, 'HEADERS');
      return { type: 'headers', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, fin: (flags & FLAG_FIN) !== 0, headerBlock: payload.subarray(4) };
    case FrameType.windowUpdate:
      need(payload, 8, 'WINDOW_UPDATE');
      return { type: 'windowUpdate', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, delta: payload.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      return { type: 'other', frameType: type };
  }
}

/**
 * Cuts a byte stream into frames (the transport delivers arbitrary pieces: gorilla/websocket
 * tunnels write each field as its own message). Frames larger than `maxPayload` are refused.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  /** Every frame completed by `chunk`; a partial frame waits for the next chunk. */
  push(chunk: Buffer): SpdyFrame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: SpdyFrame[] = [];
    for (;;) {
      if (this.pendingBytes < 8) break;
      const buffered = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [buffered];
      const length = buffered.readUInt32BE(4) & 0xffffff;
      if (length > this.maxPayload) throw new SpdyProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxPayload}`);
      if (buffered.length < 8 + length) break;
      frames.push(decodeFrame(buffered.subarray(0, 8 + length)));
      const rest = buffered.subarray(8 + length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
    }
    return frames;
  }
}

/** One whole frame (header and payload). */
export function decodeFrame(frame: Buffer): SpdyFrame {
  const first = frame.readUInt32BE(0);
  const flags = frame.readUInt8(4);
  const payload = frame.subarray(8);
  if ((first & 0x80000000) === 0) return { type: 'data', streamId: first & STREAM_ID_MASK, fin: (flags & FLAG_FIN) !== 0, data: payload };
  const version = (first >>> 16) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  return controlFrame(first & 0xffff, flags, payload);
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE((0x8000 | SPDY_VERSION) * 0x10000 + type, 0);
  head.writeUInt32BE(flags * 0x1000000 + payload.length, 4);
  return Buffer.concat([head, payload]);
}

export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  head.writeUInt32BE((fin ? FLAG_FIN : 0) * 0x1000000 + data.length, 4);
  return Buffer.concat([head, data]);
}

export function encodeSynStream(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  return control(FrameType.synStream, fin ? FLAG_FIN : 0, Buffer.concat([fixed, headerBlock]));
}

export function encodeSynReply(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  return control(FrameType.synReply, fin ? FLAG_FIN : 0, Buffer.concat([id, headerBlock]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  payload.writeUInt32BE(status, 4);
  return control(FrameType.rstStream, 0, payload);
}

export function encodePing(id: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(id >>> 0, 0);
  return control(FrameType.ping, 0, payload);
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastGoodStreamId & STREAM_ID_MASK, 0);
  payload.writeUInt32BE(status, 4);
  return control(FrameType.goAway, 0, payload);
}

/** Header names as SPDY carries them (lower case) with their values. */
export type SpdyHeaders = Record<string, string[]>;

/** The uncompressed header block: count, then (name, NUL-joined values) pairs. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [name, values] of entries) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(values.join('\0'));
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  let at = 0;
  const u32 = (): number => {
    if (at + 4 > block.length) throw new SpdyProtocolError('header block truncated');
    const n = block.readUInt32BE(at);
    at += 4;
    return n;
  };
  const text = (): string => {
    const length = u32();
    if (at + length > block.length) throw new SpdyProtocolError('header block truncated');
    const s = block.toString('utf8', at, at + length);
    at += length;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = text().toLowerCase();
    const values = text().split('\0');
    headers[name] = [...(headers[name] ?? []), ...values];
  }
  return headers;
}
