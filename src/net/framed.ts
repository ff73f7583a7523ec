/**
 * Length-prefixed envelopes over one libp2p stream. A bad frame rejects the pending read with
 * FrameError and aborts only this stream.
 */
import type { Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import { decodeEnvelope, encodeEnvelope, type Envelope } from './codec.ts';
import { FrameError, StreamEndedError } from './errors.ts';
import { MAX_FRAME_BYTES } from './protocols.ts';

export class FramedStream {
  private readonly lp: LengthPrefixedStream<Stream>;

  constructor(readonly stream: Stream) {
    this.lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES });
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
