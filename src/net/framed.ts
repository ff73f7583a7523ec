/**
 * Length-prefixed envelopes over one libp2p stream. A bad frame rejects the pending read with
 * FrameError and aborts only this stream.
 */
import type { Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import { decodeEnvelope, encodeEnvelope, type Envelope } from './codec.ts';
import { FrameError, StreamEndedError } from './errors.ts';
import { MAX_FRAME_BYTES } from './protocols.ts';

/** Bytes of the longest length prefix a frame within MAX_FRAME_BYTES needs (an unsigned varint, 7 bits a byte). */
export const MAX_LENGTH_PREFIX_BYTES = Math.ceil(Math.log2(MAX_FRAME_BYTES + 1) / 7);

/**
 * The frame length prefix (it-length-prefixed's unsigned varint), refused once it runs longer
 * than any frame within the limit needs. lpStream reads the prefix a byte at a time and asks
 * again while the decoder throws RangeError ("incomplete"), checking its own bound only after a
 * prefix decodes: a peer sending a long run of bytes with the high bit set was read to its end,
 * each byte re-decoding the whole buffer — 16 KB of 0xff held a master's event loop 0.2 s, and
 * the cost grows with the square of the run (found by the wire fuzzer: ping timeouts then dropped
 * every node's connection). Here a fifth continuation byte is a FrameError at once.
 */
export function decodeFrameLength(buf: { byteLength: number; get(index: number): number }): number {
  let value = 0;
  for (let i = 0; i < buf.byteLength && i < MAX_LENGTH_PREFIX_BYTES; i++) {
    const byte = buf.get(i);
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return value;
  }
  if (buf.byteLength >= MAX_LENGTH_PREFIX_BYTES) throw new FrameError(`frame length prefix longer than ${MAX_LENGTH_PREFIX_BYTES} bytes`);
  throw new RangeError('incomplete frame length prefix');
}

export class FramedStream {
  private readonly lp: LengthPrefixedStream<Stream>;

  constructor(readonly stream: Stream) {
    this.lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES, lengthDecoder: decodeFrameLength });
  }

  async write(type: string, body: unknown, signal?: AbortSignal): Promise<void> {
    await this.lp.write(encodeEnvelope(type, body), { signal });
  }

  /** The next envelope; FrameError for garbage (the stream is aborted), StreamEndedError at EOF. */
  async read(signal?: AbortSignal): Promise<Envelope> {
    let bytes;
    try {
      bytes = await this.lp.read({ signal });
    } catch (err) {
      if (isEndOfStream(err)) throw new StreamEndedError();
      if (err instanceof FrameError) return this.fail(err);
      if (isInvalidLength(err)) return this.fail(new FrameError(`invalid frame length: ${(err as Error).message}`));
      throw err;
    }
    try {
      return decodeEnvelope(bytes.subarray());
    } catch (err) {
      if (err instanceof FrameError) return this.fail(err);
      throw err;
    }
  }

  /** Read one envelope and check its type; anything else is a FrameError. */
  async expect(type: string, signal?: AbortSignal): Promise<Envelope> {
    const env = await this.read(signal);
    if (env.type !== type) return this.fail(new FrameError(`expected ${type}, got ${env.type}`));
    return env;
  }

  async close(): Promise<void> {
    await this.stream.close().catch(() => this.stream.abort(new Error('close failed')));
  }

  abort(err: Error): void {
    this.stream.abort(err);
  }

  private fail(err: FrameError): never {
    this.stream.abort(err);
    throw err;
  }
}

// libp2p's errors are classes named by `name`; these are the two that mean "no more frames"
// and "the length prefix is garbage".
function isEndOfStream(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'UnexpectedEOFError' || name === 'StreamClosedError';
}

function isInvalidLength(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError' || name === 'InvalidMessageLengthError';
}
