/**
 * `/kactus/portforward/1.0.0`: a master reaches a TCP port of a pod through the node that runs
 * it (the path behind `kubectl port-forward`), one stream per forwarded connection.
 *
 *   master → node  portforward.request    pod, port
 *   node → master  portforward.connected  the node reached the pod's port
 *            or    portforward.error      {code, message}: 404 no such pod here, 400 the runtime
 *                                         cannot forward (hollow), 502 the port refused or did
 *                                         not answer; the message is the kubelet's whole sentence
 *                                         (`error forwarding port 8080 to pod …`), shown as is
 *   then both ways at once: portforward.data (≤ 64 KiB each); a side that has no more to send
 *   half-closes its end of the stream (the TCP FIN passed on). Aborting the stream (a reset)
 *   drops the connection at the other end.
 *
 * Both ends see the connection as a Node Duplex (`PortForwardConnection`). Backpressure: a
 * frame is written only once the previous one was taken (the yamux window), and a frame is read
 * only when the consumer wants more, so neither end buffers more than a frame or two.
 */
import { Duplex } from 'node:stream';
import type { PeerId } from '@libp2p/interface';
import { dialNode, serveNodeStream } from './node-stream.ts';
import { FramedStream } from './framed.ts';
import { FrameError, StreamEndedError } from './errors.ts';
import { checkMessage, type PortForwardRequest } from './messages.ts';
import { PROTOCOL_PORTFORWARD } from './protocols.ts';
import type { MeshHost } from './host.ts';

/** Largest `portforward.data` payload. */
export const PORTFORWARD_CHUNK_BYTES = 64 * 1024;

/** The request must arrive, and the node must reach the pod's port, within this time. */
export const PORTFORWARD_OPEN_TIMEOUT_MS = 10_000;

/**
 * A forward that failed, with an HTTP-like code: the node's answer (`fromNode`, its message the
 * kubelet's whole sentence), or the master's own 503 (no address answered) or 502 (the node broke
 * the stream off).
 */
export class PortForwardError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly fromNode = false,
  ) {
    super(message);
    this.name = 'PortForwardError';
  }
}

/** What a node daemon plugs into `servePortForward`. */
export interface PortForwardProvider {
  /** Only admitted peers (the masters) may forward; others get their stream reset. */
  isAdmitted(peer: PeerId): boolean | Promise<boolean>;
  /**
   * Connect to the pod's port: a half-closable Duplex (a net.Socket with `allowHalfOpen`). Throw a
   * PortForwardError for an answer the master passes on; anything else is a 500.
   */
  connect(request: PortForwardRequest): Promise<Duplex>;
}

/**
 * One forwarded connection as a Duplex over the framed stream: writes become `portforward.data`
 * frames, `end()` half-closes the stream, the peer's frames are read as the consumer asks, its
 * half-close is the end. Destroying it before both sides ended resets the stream.
 */
export class PortForwardConnection extends Duplex {
  private reading = false;
  private wantMore: (() => void) | undefined;

  constructor(private readonly framed: FramedStream) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    const resume = this.wantMore;
    this.wantMore = undefined;
    resume?.();
    if (!this.reading) {
      this.reading = true;
      void this.readFrames();
    }
  }

  private async readFrames(): Promise<void> {
    try {
      for (;;) {
        const env = await this.framed.read();
        if (env.type !== 'portforward.data') throw new FrameError(`unexpected ${env.type} on a port-forward stream`);
        const { data } = checkMessage('portforward.data', env.body);
        if (!this.push(data)) await new Promise<void>((resolve) => (this.wantMore = resolve));
        if (this.destroyed) return;
      }
    } catch (err) {
      if (err instanceof StreamEndedError) this.push(null);
      else this.destroy(err as Error);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    void (async () => {
      for (let at = 0; at < chunk.length; at += PORTFORWARD_CHUNK_BYTES) await this.framed.write('portforward.data', { data: chunk.subarray(at, at + PORTFORWARD_CHUNK_BYTES) });
    })().then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.framed.stream.close().then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const wake = this.wantMore;
    this.wantMore = undefined;
    wake?.();
    if (err || !(this.readableEnded && this.writableFinished)) this.framed.abort(err ?? new Error('port-forward connection dropped'));
    callback(err);
  }
}

/** Serve `/kactus/portforward/1.0.0` on a node. Returns a function that unregisters the handler. */
export async function servePortForward(host: MeshHost, provider: PortForwardProvider): Promise<() => Promise<void>> {
  return serveNodeStream(host, PROTOCOL_PORTFORWARD, (peer) => provider.isAdmitted(peer), async (framed) => {
    let request: PortForwardRequest;
    try {
      const env = await framed.expect('portforward.request', AbortSignal.timeout(PORTFORWARD_OPEN_TIMEOUT_MS));
      request = checkMessage('portforward.request', env.body);
    } catch (err) {
      framed.abort(err as Error);
      return;
    }
    let target: Duplex;
    try {
      target = await provider.connect(request);
    } catch (err) {
      await framed.write('portforward.error', { code: err instanceof PortForwardError ? err.code : 500, message: (err as Error).message }).catch(() => undefined);
      await framed.close();
      return;
    }
    try {
      await framed.write('portforward.connected', {});
    } catch (err) {
      target.destroy();
      framed.abort(err as Error);
      return;
    }
    join(new PortForwardConnection(framed), target);
  });
}

/**
 * Copy both ways between two half-closable connections: each one's end is the other's FIN; an
 * error or a drop on either side (closed before it ended) drops the other.
 */
export function join(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const dropOtherIfCut = (side: Duplex, other: Duplex) => () => {
    if (!(side.readableEnded && side.writableFinished)) other.destroy();
  };
  a.on('error', () => {});
  b.on('error', () => {});
  a.once('close', dropOtherIfCut(a, b));
  b.once('close', dropOtherIfCut(b, a));
}

/**
 * Reach `port` of a pod through its node: resolves with the connection once the node reached the
 * port (refusals reject with the node's PortForwardError; 503 when no address answers, 502 when
 * the node broke the stream off). Aborting `signal` before then gives up.
 */
export async function openPortForward(host: MeshHost, nodeAddrs: readonly string[], request: PortForwardRequest, signal?: AbortSignal): Promise<PortForwardConnection> {
  const openSignal = signal ? AbortSignal.any([signal, AbortSignal.timeout(PORTFORWARD_OPEN_TIMEOUT_MS)]) : AbortSignal.timeout(PORTFORWARD_OPEN_TIMEOUT_MS);
  const framed = new FramedStream(await dialNode(host, nodeAddrs, PROTOCOL_PORTFORWARD, openSignal, (detail) => new PortForwardError(503, `no address of the node answered: ${detail}`)));
  try {
    await framed.write('portforward.request', request, openSignal);
    const env = await framed.read(openSignal);
    if (env.type === 'portforward.error') {
      const { code, message } = checkMessage('portforward.error', env.body);
      throw new PortForwardError(code, message, true);
    }
    if (env.type !== 'portforward.connected') throw new PortForwardError(502, `unexpected ${env.type} on a port-forward stream`);
  } catch (err) {
    framed.abort(err as Error);
    throw err instanceof PortForwardError || openSignal.aborted ? err : new PortForwardError(502, `the node broke off the port-forward stream: ${(err as Error).message}`);
  }
  return new PortForwardConnection(framed);
}
