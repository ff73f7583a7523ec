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

/** A frame as `ws` sends it: text for a string, binary for a Buffer. */
export type Frame = string | Buffer;

export function entryMessage(entry: LogEntry): StreamMessage {
  if (entry.type === 'event') return { type: 'event', index: entry.index, time: entry.time, event: entry.event };
  return { type: 'transition', index: entry.index, ...entry.record, namespace: entry.record.namespace ?? '' };
}

export function snapshotMessage(entry: LoggedTransition): StreamMessage {
  return { type: 'snapshot', index: entry.index, ...entry.record, namespace: entry.record.namespace ?? '' };
}

// Plain maps (no msgpackr records or structure sharing): any msgpack decoder reads each frame on its own.
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Encodes messages in one of the two data formats, caching entries' frames. */
export interface FrameEncoder {
  readonly binary: boolean;
  encode(message: StreamMessage): Frame;
  /** The frame of a `transition` or `event` message for `entry` (shared between clients). */
  entry(entry: LogEntry): Frame;
}

function cachingEncoder(binary: boolean, encode: (m: StreamMessage) => Frame): FrameEncoder {
  const cache = new WeakMap<LogEntry, Frame>();
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

/** Bytes a frame holds (what a client's buffer bound counts). */
export function frameBytes(frame: Frame): number {
  return typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
}
