/**
 * The WebSocket channel protocol (`v5.channel.k8s.io`, `v4.channel.k8s.io`) that `kubectl exec`
 * and `kubectl attach` speak: every binary message starts with a channel byte — 0 stdin,
 * 1 stdout, 2 stderr, 3 error (a Status, sent last), 4 resize (`{"Width","Height"}`), and in v5
 * 255 "close" (`[255, 0]`: EOF on stdin). This file bridges one such WebSocket to a session on a
 * node (a command for exec, a container's main process for attach), with backpressure both ways.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ApiError } from '../../api/status.ts';
import { toApiError } from '../http/respond.ts';

/** A process on a node the client talks to, as the node gateway hands it over. */
export interface ChannelSession {
  /** stdout (fd 1) and stderr (fd 2) as the process writes them; ends once it is over. */
  output: AsyncIterable<{ fd: 1 | 2; data: Uint8Array }>;
  /** Set when `output` has ended (exec: the command's exit code). */
  readonly exitCode: number | undefined;
  writeStdin(data: Uint8Array): Promise<void>;
  endStdin(): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  abort(): void;
}

export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STDIN = 0;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** The channel protocol the client offered, or the 400 kubectl shows (it retries a refused upgrade over SPDY). */
export function channelProtocol(req: IncomingMessage): string {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const protocol = CHANNEL_PROTOCOLS.find((p) => offered.includes(p));
  if (!protocol) throw ApiError.badRequest(`unable to upgrade: this server speaks WebSocket with ${CHANNEL_PROTOCOLS.join(' or ')}, not SPDY`);
  return protocol;
}

/**
 * Upgrade to the channel protocol, then `open` the session on the node and bridge it. The node's
 * answer comes after the upgrade (a refused upgrade would make kubectl retry over SPDY, and
 * asking the node twice could run a command twice); until then the client's input waits. A
 * refusal, and at the end `finalStatus(session)`, travel on the error channel.
 */
export function upgradeToChannels(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocol: string,
  open: (signal: AbortSignal) => Promise<ChannelSession>,
  finalStatus: (session: ChannelSession) => object,
): void {
  const abort = new AbortController();
  socket.once('close', () => abort.abort());
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => protocol });
  wss.handleUpgrade(req, socket, head, (ws) => {
    wss.close();
    ws.pause();
    open(abort.signal).then(
      (session) => {
        // The client may have gone while the node was starting the session.
        if (ws.readyState !== ws.OPEN) return session.abort();
        bridge(ws, session, finalStatus);
        ws.resume();
      },
      (err: unknown) => finish(ws, toApiError(err).toStatus()),
    );
  });
}

/** The last message: a Status on the error channel, then a normal close. */
function finish(ws: WebSocket, status: object): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(Buffer.concat([Buffer.from([ERROR]), Buffer.from(JSON.stringify(status))]), () => ws.close(1000));
}

/** Client messages into the session, the session's output and outcome to the client. */
function bridge(ws: WebSocket, session: ChannelSession, finalStatus: (session: ChannelSession) => object): void {
  let finished = false;
  ws.on('close', () => {
    if (!finished) session.abort();
  });
  ws.on('message', (data: RawData) => {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
    if (bytes.length === 0) return;
    const payload = bytes.subarray(1);
    const sent = (() => {
      switch (bytes[0]) {
        case STDIN:
          return payload.length > 0 ? session.writeStdin(payload) : undefined;
        case RESIZE: {
          const size = parseSize(payload);
          return size ? session.resize(size.Width, size.Height) : undefined;
        }
        case CLOSE:
          return payload[0] === STDIN ? session.endStdin() : undefined;
        default:
          return undefined;
      }
    })();
    // Backpressure: hold the client's stream while the node has not taken this piece.
    if (sent) {
      ws.pause();
      sent.then(
        () => ws.resume(),
        () => ws.terminate(),
      );
    }
  });
  void (async () => {
    let status: object;
    try {
      for await (const piece of session.output) {
        if (ws.readyState !== ws.OPEN) return;
        await new Promise<void>((resolve, reject) => ws.send(Buffer.concat([Buffer.from([piece.fd]), piece.data]), (err) => (err ? reject(err) : resolve())));
      }
      status = finalStatus(session);
    } catch (err) {
      status = toApiError(err).toStatus();
    }
    finished = true;
    finish(ws, status);
  })();
}

function parseSize(payload: Buffer): { Width: number; Height: number } | undefined {
  try {
    const size = JSON.parse(payload.toString()) as { Width?: unknown; Height?: unknown };
    return typeof size.Width === 'number' && typeof size.Height === 'number' ? { Width: size.Width, Height: size.Height } : undefined;
  } catch {
    return undefined;
  }
}
