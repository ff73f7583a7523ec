/**
 * The stream's messages (README.md) and their frames: JSON text or msgpack binary. An entry's
 * frame is encoded once and shared by every client that gets it (cached on the entry, weakly).
 */
import { Packr } from 'msgpackr';
import type { LogEntry, LoggedTransition } from '../../registry/transition-log/entries.ts';

export type StreamMessage =
  | ({ type: 'transition' | 'snapshot'; index: number } & LoggedTransition['record'])
  | { type: 'event'; index: number; time: string; event: object }
  | { type: 'snapshot-end' | 'heartbeat'; index: number };

/** A message's payload: text for a string, binary for a Buffer. */
export type Frame = string | Buffer;

/**
 * A whole WebSocket frame (header and payload) as the server sends it. A server's frames are
 * unmasked (RFC 6455 §5.1), so one entry's frame is the same bytes for every client: it is built
 * once and written to each client's socket as it is.
 */
export type WireFrame = Buffer;

/** The unfragmented, unmasked frame of a payload: text (opcode 1) or binary (opcode 2). */
export function wireFrame(payload: Frame, binary: boolean): WireFrame {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = body.length;
  const headerLength = len < 126 ? 2 : len < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLength + len);
  out[0] = 0x80 | (binary ? 0x02 : 0x01);
  if (len < 126) {
    out[1] = len;
  } else if (len < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  body.copy(out, headerLength);
  return out;
}

export function entryMessage(entry: LogEntry): StreamMessage {
  if (entry.type === 'event') return { type: 'event', index: entry.index, time: entry.time, event: entry.event };
  return { type: 'transition', index: entry.index, ...entry.record, namespace: entry.record.namespace ?? '' };
}

export function snapshotMessage(entry: LoggedTransition): StreamMessage {
  return { type: 'snapshot', index: entry.index, ...entry.record, namespace: entry.record.namespace ?? '' };
}

// Plain maps (no msgpackr records or structure sharing): any msgpack decoder reads each frame on its own.
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Encodes messages in one of the two data formats as wire frames, caching entries' frames. */
export interface FrameEncoder {
  readonly binary: boolean;
  encode(message: StreamMessage): WireFrame;
  /** The frame of a `transition` or `event` message for `entry` (shared between clients). */
  entry(entry: LogEntry): WireFrame;
}

function cachingEncoder(binary: boolean, payload: (m: StreamMessage) => Frame): FrameEncoder {
  const cache = new WeakMap<LogEntry, WireFrame>();
  const encode = (m: StreamMessage): WireFrame => wireFrame(payload(m), binary);
  return {
    binary,
    encode,
    entry(entry) {
      let frame = cache.get(entry);
      if (frame === undefined) {
        frame = encode(entryMessage(entry));
        cache.set(entry, frame);
      }
      return frame;
    },
  };
}

export const JSON_FRAMES: FrameEncoder = cachingEncoder(false, (m) => JSON.stringify(m));
export const MSGPACK_FRAMES: FrameEncoder = cachingEncoder(true, (m) => packr.pack(m));
