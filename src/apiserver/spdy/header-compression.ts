/**
 * SPDY/3 header compression: one zlib stream per direction for the whole connection, primed with
 * the protocol's dictionary, each header block sync-flushed (so the peer can decode it at once).
 * The state carries over from block to block, so blocks are compressed and decompressed strictly
 * in the order they are sent and received: each direction is a queue.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import spdyTransport from 'spdy-transport';

/** The SPDY/3 header dictionary (the spec's; spdy-transport ships it, byte for byte as spdystream's). */
const DICTIONARY: Buffer = spdyTransport.protocol.spdy.dictionary[3];

/** A zlib stream used one block at a time, in order. */
class BlockCodec {
  private out: Buffer[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly z: Deflate | Inflate) {
    z.on('data', (chunk: Buffer) => this.out.push(chunk));
    // Errors surface through the flush callback of the block that caused them.
    z.on('error', () => {});
  }

  run(block: Buffer): Promise<Buffer> {
    const next = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const onError = (err: Error): void => reject(err);
          this.z.once('error', onError);
          this.z.write(block);
          this.z.flush(constants.Z_SYNC_FLUSH, () => {
            this.z.off('error', onError);
            const result = Buffer.concat(this.out);
            this.out = [];
            resolve(result);
          });
        }),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.z.close();
  }
}

/** The two directions of one SPDY connection's header compression. */
export class HeaderCompression {
  private readonly inflater = new BlockCodec(createInflate({ dictionary: DICTIONARY }));
  private readonly deflater = new BlockCodec(createDeflate({ dictionary: DICTIONARY }));

  /** A received header block, decompressed (blocks must be given in the order they arrived). */
  inflate(block: Buffer): Promise<Buffer> {
    return this.inflater.run(block);
  }

  /** A header block to send, compressed (blocks must be sent in the order they were compressed). */
  deflate(block: Buffer): Promise<Buffer> {
    return this.deflater.run(block);
  }

  close(): void {
    this.inflater.close();
    this.deflater.close();
  }
}
