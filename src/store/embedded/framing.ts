/**
 * Frames for WAL records: `[u32 length][u32 crc32(payload)][payload]`, little-endian. The
 * checksum lets recovery tell a torn tail (a write cut by kill -9 or power loss) from data.
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER = 8;

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER);
  return out;
}

export interface ScannedFrames {
  payloads: Buffer[];
  /** Bytes from the start that hold whole, valid frames; anything after is a torn tail. */
  validLength: number;
}

/** Every valid frame from the start of `buf`, stopping at the first short or mismatching one. */
export function scanFrames(buf: Buffer): ScannedFrames {
  const payloads: Buffer[] = [];
  let pos = 0;
  while (pos + FRAME_HEADER <= buf.length) {
    const len = buf.readUInt32LE(pos);
    const end = pos + FRAME_HEADER + len;
    // A zero length is never written (payloads are never empty): it is zero-filled tail space.
    if (len === 0 || end > buf.length) break;
    const payload = buf.subarray(pos + FRAME_HEADER, end);
    if (crc32(payload) !== buf.readUInt32LE(pos + 4)) break;
    payloads.push(payload);
    pos = end;
  }
  return { payloads, validLength: pos };
}
