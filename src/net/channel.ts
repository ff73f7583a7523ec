/**
 * A long-lived, two-way stream of envelopes between a master and an admitted node: the
 * transport under `/kactus/actor/1.0.0` (assignments down, status up) and
 * `/kactus/heartbeat/1.0.0`. Messages are a fast path only: every actor reconciles from the
 * store on (re)connect and on resync, so a lost message delays and never corrupts.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { FramedStream } from './framed.ts';
import { PeerNotAdmittedError, StreamEndedError } from './errors.ts';
import { MAX_INBOUND_STREAMS } from './protocols.ts';
import type { Envelope } from './codec.ts';
import type { MeshHost } from './host.ts';

export type MessageHandler = (env: Envelope, channel: Channel) => void | Promise<void>;

export class Channel {
  private readonly framed: FramedStream;
  private closedPromise: Promise<Error | undefined>;

  constructor(
    stream: Stream,
    readonly peer: PeerId,
    onMessage: MessageHandler,
  ) {
    this.framed = new FramedStream(stream);
    this.closedPromise = this.readLoop(onMessage);
  }

  /** Send one message; rejects if the stream is gone (the caller's resync covers the loss). */
  send(type: string, body: unknown): Promise<void> {
    return this.framed.write(type, body);
  }

  /** Resolves when the channel ends: undefined for a clean end, the error otherwise. */
  get closed(): Promise<Error | undefined> {
    return this.closedPromise;
  }

  async close(): Promise<void> {
    await this.framed.close();
    await this.closedPromise;
  }

  /** End the channel now, without waiting for the peer (one gone silent cannot answer a close). */
  abort(err: Error): void {
    this.framed.abort(err);
  }

  private async readLoop(onMessage: MessageHandler): Promise<Error | undefined> {
    try {
      while (true) {
        const env = await this.framed.read();
        await onMessage(env, this);
      }
    } catch (err) {
      if (err instanceof StreamEndedError) {
        // The peer finished writing: finish ours too, or half-open streams pile up (NOTES.md).
        await this.framed.close();
        return undefined;
      }
      // A bad frame, a body failing its guard in the handler, or a handler throwing: this stream
      // ends (abort is idempotent, so a stream FramedStream already aborted is fine).
      this.framed.abort(err as Error);
      return err as Error;
    }
  }
}

export interface ServeChannelOptions {
  /** Only admitted peers may open the protocol; others get their stream reset. */
  isAdmitted(peer: PeerId): boolean | Promise<boolean>;
  onChannel(channel: Channel, connection: Connection): MessageHandler;
  /** Called when a peer that was not admitted tried (for events and metrics). */
  onRejected?(peer: PeerId): void;
}

/** Accept channels on `protocol`. Returns a function that unregisters the handler. */
export async function serveChannel(host: MeshHost, protocol: string, opts: ServeChannelOptions): Promise<() => Promise<void>> {
  await host.handle(
    protocol,
    async (stream, connection) => {
      const peer = connection.remotePeer;
      if (!(await opts.isAdmitted(peer))) {
        opts.onRejected?.(peer);
        stream.abort(new PeerNotAdmittedError(peer.toString()));
        return;
      }
      // The handler comes from onChannel, which needs the channel: frames wait in the read loop
      // until it is set (the loop's first read is asynchronous).
      const ref: { handler?: MessageHandler } = {};
      const channel = new Channel(stream, peer, (env, ch) => ref.handler?.(env, ch));
      ref.handler = opts.onChannel(channel, connection);
    },
    { maxInboundStreams: MAX_INBOUND_STREAMS },
  );
  return () => host.unhandle(protocol);
}

/** Open a channel to `addr` (a multiaddr ending in /p2p/<peer id>). */
export async function openChannel(host: MeshHost, addr: string, protocol: string, onMessage: MessageHandler, signal?: AbortSignal): Promise<Channel> {
  const connection = await host.dial(multiaddr(addr), { signal });
  const stream = await connection.newStream(protocol, { signal });
  return new Channel(stream, connection.remotePeer, onMessage);
}
