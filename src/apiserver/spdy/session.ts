/**
 * The server end of a SPDY/3 connection as client-go's SPDY client (moby/spdystream) uses it:
 * the client opens streams (SYN_STREAM with its headers), the server answers each with a
 * SYN_REPLY or refuses it with a RST_STREAM, and both sides then send DATA; a DATA frame with
 * FIN half-closes that side, RST_STREAM drops the stream. PINGs are echoed, GOAWAY ends the
 * session, SETTINGS and WINDOW_UPDATE are ignored: spdystream keeps no flow-control windows.
 *
 * Flow control is therefore the transport's, as between Go peers:
 * - out: every frame goes through one ordered queue that waits for the transport to drain, so
 *   a stream's writes complete only when the client can take them;
 * - in: when a stream's reader falls behind (its buffer is full) the transport is paused until
 *   that reader asks for more. This holds up the other streams too (head-of-line blocking),
 *   exactly what spdystream does to its own connection.
 */
import { Duplex } from 'node:stream';
import {
  FrameReader,
  GOAWAY_OK,
  RstStatus,
  SpdyProtocolError,
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  type SpdyFrame,
  type SpdyHeaders,
} from './frames.ts';
import { HeaderCompression } from './header-compression.ts';

/** Largest DATA payload written at once, so one stream's big write does not hold the others long. */
export const MAX_DATA_CHUNK = 64 * 1024;

/** An error that ended a stream: the peer reset it, or the connection went away. */
export class SpdyStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyStreamError';
  }
}

/**
 * One SPDY stream opened by the client: a Duplex of its DATA (half-closable both ways).
 * `accept()` answers the SYN_STREAM, `refuse()` resets it; destroying it before both sides
 * finished resets it too.
 */
export class SpdyStream extends Duplex {
  private replied = false;
  private resetByPeer = false;
  private remoteEnded = false;

  constructor(
    readonly id: number,
    /** The client's headers, lower-cased names (SPDY's), each with its values. */
    readonly headers: SpdyHeaders,
    private readonly session: SpdySession,
  ) {
    super({ allowHalfOpen: true });
  }

  /** The first value of header `name` (case-insensitive), or undefined. */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** Answer the SYN_STREAM (the client's CreateStream waits for it). */
  accept(): void {
    if (this.replied || this.destroyed) return;
    this.replied = true;
    void this.session.reply(this.id).catch((err: unknown) => this.destroy(err as Error));
  }

  /** Refuse the stream: RST_STREAM, as client-go's server does for bad headers. */
  refuse(): void {
    this.replied = true;
    this.destroy();
  }

  /** The peer sent DATA (after its FIN, a broken peer's: dropped). */
  receive(data: Buffer): boolean {
    return data.length === 0 || this.remoteEnded || this.push(data);
  }

  /** The peer half-closed (FIN). */
  receiveEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.push(null);
  }

  /** The peer reset the stream. */
  receiveReset(status: number): void {
    this.resetByPeer = true;
    this.destroy(new SpdyStreamError(`stream ${this.id} reset by the client (status ${status})`));
  }

  override _read(): void {
    this.session.readerReady(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (!this.replied) this.accept();
    this.session.sendData(this.id, chunk, false).then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.replied) this.accept();
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const clean = this.remoteEnded && this.writableFinished;
    if (!this.resetByPeer && !clean) void this.session.reset(this.id, err ? RstStatus.internalError : RstStatus.cancel).catch(() => undefined);
    this.session.forget(this);
    callback(err);
  }
}

export interface SpdySessionOptions {
  /** Each stream the client opens; accept or refuse it. */
  onStream(stream: SpdyStream): void;
  /** Protocol errors (the session then ends). */
  onError?(err: Error): void;
}

export class SpdySession {
  private readonly reader = new FrameReader();
  private readonly compression = new HeaderCompression();
  private readonly streams = new Map<number, SpdyStream>();
  /** Streams whose readers are full: the transport stays paused while any is. */
  private readonly blocked = new Set<SpdyStream>();
  private inbound: SpdyFrame[] = [];
  private processing = false;
  private outbound: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private goingAway = false;
  private ended = false;
  /** Resolves when the transport has closed and every stream is gone. */
  readonly closed: Promise<void>;

  constructor(
    private readonly transport: Duplex,
    private readonly opts: SpdySessionOptions,
  ) {
    this.closed = new Promise((resolve) => transport.once('close', () => resolve()));
    transport.on('data', (chunk: Buffer) => this.onData(chunk));
    transport.on('error', () => this.end(new SpdyStreamError('the connection failed')));
    transport.on('close', () => this.end(new SpdyStreamError('the connection closed')));
    transport.on('end', () => {
      this.end(new SpdyStreamError('the client closed the connection'));
      transport.end();
    });
  }

  /** Streams not yet released (both sides ended and read, reset, or dropped). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Send GOAWAY and close the connection (streams still open are dropped). */
  close(): void {
    if (this.ended) return;
    void this.enqueue(() => encodeGoAway(this.lastStreamId, GOAWAY_OK)).finally(() => this.transport.end());
  }

  /** @internal SYN_REPLY for stream `id`, with no headers (spdystream reads none). */
  reply(id: number): Promise<void> {
    const block = this.compression.deflate(encodeHeaderBlock({}));
    return this.enqueue(async () => encodeSynReply(id, await block));
  }

  /** @internal DATA for stream `id`, in pieces of at most MAX_DATA_CHUNK; resolves once the transport took it. */
  async sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    if (data.length <= MAX_DATA_CHUNK) return this.enqueue(() => encodeData(id, data, fin));
    for (let at = 0; at < data.length; at += MAX_DATA_CHUNK) {
      const piece = data.subarray(at, at + MAX_DATA_CHUNK);
      await this.enqueue(() => encodeData(id, piece, fin && at + MAX_DATA_CHUNK >= data.length));
    }
  }

  /** @internal RST_STREAM for stream `id`. */
  reset(id: number, status: number): Promise<void> {
    return this.enqueue(() => encodeRstStream(id, status));
  }

  /** @internal A stream's reader wants more: resume the transport once no reader is full. */
  readerReady(stream: SpdyStream): void {
    if (this.blocked.delete(stream) && this.blocked.size === 0) this.transport.resume();
  }

  /** @internal A stream is gone. */
  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.readerReady(stream);
  }

  private enqueue(frame: () => Buffer | Promise<Buffer>): Promise<void> {
    const next = this.outbound.then(async () => {
      if (this.transport.destroyed || this.transport.writableEnded) throw new SpdyStreamError('the connection closed');
      const bytes = await frame();
      if (this.transport.write(bytes)) return;
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error): void => {
          this.transport.off('drain', onDrain);
          this.transport.off('close', onClose);
          if (err) reject(err);
          else resolve();
        };
        const onDrain = (): void => done();
        const onClose = (): void => done(new SpdyStreamError('the connection closed'));
        this.transport.on('drain', onDrain);
        this.transport.on('close', onClose);
      });
    });
    this.outbound = next.catch(() => undefined);
    return next;
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    try {
      this.inbound.push(...this.reader.push(chunk));
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    void this.processInbound();
  }

  /** Frames are handled one at a time, in order: a header block must be inflated before the next. */
  private async processInbound(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let frame = this.inbound.shift(); frame !== undefined && !this.ended; frame = this.inbound.shift()) await this.handle(frame);
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.processing = false;
    }
  }

  private async handle(frame: SpdyFrame): Promise<void> {
    switch (frame.type) {
      case 'synStream': {
        // The block is inflated even for a stream refused below: the compression state runs on.
        const headers = decodeHeaderBlock(await this.compression.inflate(frame.headerBlock));
        if (frame.streamId % 2 !== 1 || frame.streamId <= this.lastStreamId) {
          await this.reset(frame.streamId, RstStatus.protocolError);
          return;
        }
        this.lastStreamId = frame.streamId;
        if (this.goingAway) {
          await this.reset(frame.streamId, RstStatus.refusedStream);
          return;
        }
        const stream = new SpdyStream(frame.streamId, headers, this);
        this.streams.set(stream.id, stream);
        if (frame.fin) stream.receiveEnd();
        this.opts.onStream(stream);
        return;
      }
      case 'data': {
        const stream = this.streams.get(frame.streamId);
        // Data for a stream already reset or finished here is dropped, as spdystream does.
        if (!stream) return;
        if (!stream.receive(frame.data)) this.block(stream);
        if (frame.fin) stream.receiveEnd();
        return;
      }
      case 'headers':
        // Trailing headers: nothing in port-forward sends them; keep the compression state.
        await this.compression.inflate(frame.headerBlock);
        if (frame.fin) this.streams.get(frame.streamId)?.receiveEnd();
        return;
      case 'rstStream':
        this.streams.get(frame.streamId)?.receiveReset(frame.status);
        return;
      case 'ping':
        await this.enqueue(() => encodePing(frame.id));
        return;
      case 'goAway':
        this.goingAway = true;
        return;
      case 'synReply':
        // The client never opens a stream the server must answer; a reply is meaningless here.
        await this.compression.inflate(frame.headerBlock);
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown control frames: spdystream ignores them too.
        return;
    }
  }

  private block(stream: SpdyStream): void {
    if (this.blocked.size === 0) this.transport.pause();
    this.blocked.add(stream);
  }

  private fail(err: Error): void {
    this.opts.onError?.(err);
    if (err instanceof SpdyProtocolError) void this.enqueue(() => encodeGoAway(this.lastStreamId, RstStatus.protocolError)).catch(() => undefined);
    this.end(new SpdyStreamError(`protocol error: ${err.message}`));
    this.transport.end();
    setTimeout(() => this.transport.destroy(), 1000).unref();
  }

  /** The connection is gone: every stream still open ends with `err`. */
  private end(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.inbound = [];
    for (const stream of [...this.streams.values()]) {
      // Let the reset frames fail quietly: the transport is gone.
      stream.destroy(err);
    }
    this.streams.clear();
    this.blocked.clear();
    this.compression.close();
  }
}
