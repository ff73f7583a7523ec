/**
 * The wire envelope: `{v, type, body}` encoded with msgpackr. Decoding validates the shape;
 * anything else is a FrameError so the stream (only) can be closed.
 */
import { Packr } from 'msgpackr';
import { ENVELOPE_VERSION } from './protocols.ts';
import { FrameError } from './errors.ts';

export interface Envelope<B = unknown> {
  v: number;
  /** Message type, `kind.verb` (e.g. `join.request`, `pod.assign`, `pod.status`). */
  type: string;
  body: B;
}

// Plain records, no structure sharing between frames: each frame must decode on its own.
const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeEnvelope(type: string, body: unknown): Uint8Array {
  return packr.pack({ v: ENVELOPE_VERSION, type, body });
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    throw new FrameError(`undecodable frame: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FrameError('frame is not a map');
  const env = value as Record<string, unknown>;
  if (env.v !== ENVELOPE_VERSION) throw new FrameError(`unsupported envelope version ${String(env.v)}`);
  if (typeof env.type !== 'string' || env.type.length === 0 || env.type.length > 128) {
    throw new FrameError('frame type must be a non-empty string of at most 128 characters');
  }
  return { v: env.v, type: env.type, body: env.body };
}
