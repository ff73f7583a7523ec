/**
 * Interactive sessions between a master and a process on a node, one stream each: what
 * `/kactus/exec/1.0.0` (a command) and `/kactus/attach/1.0.0` (a container's main process) share.
 *
 *   master → node  <protocol>.request  what to open (exec.request, attach.request)
 *   node → master  exec.started        it runs (or exec.error {code, message}: 404 no such
 *                                      pod/container here, 400 not running / not possible, 500 other)
 *   then both ways at once:
 *   master → node  exec.stdin          bytes for the process's stdin
 *                  exec.stdin.end      EOF on its stdin
 *                  exec.resize         the terminal's size (tty)
 *   node → master  exec.output         {fd 1|2, bytes}, ≤ 64 KiB each
 *                  exec.exit           {code}, after all output (attach: 0, it has no exit code of
 *                                      its own); then the node closes the stream
 *
 * Backpressure: the node awaits each frame's write (the yamux window) and waits for the
 * process's stdin to drain before reading the next exec.stdin. The master stops a session (the
 * client went away) by aborting the stream; the node then releases it.
 */
import type { Readable } from 'node:stream';
import type { PeerId } from '@libp2p/interface';
import type { ExecProcess } from '../runtime/types.ts';
import { dialNode, serveNodeStream } from './node-stream.ts';
import { FramedStream } from './framed.ts';
import { StreamEndedError } from './errors.ts';
import { checkMessage, type ExecOutput, type MessageBody, type MessageType } from './messages.ts';
import type { MeshHost } from './host.ts';

/** Largest `exec.output` payload. */
export const SESSION_CHUNK_BYTES = 64 * 1024;

/** The request must arrive, and the process must be reached, within this time. */
export const SESSION_OPEN_TIMEOUT_MS = 10_000;

/** A session that failed, with an HTTP-like code (the node's; 503 no address answered, 502 the node broke the stream off). */
export class SessionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }
}

/** What the node's provider opens: exec's process, or an attachment (no exit code: reported as 0). */
export type SessionProcess = Omit<ExecProcess, 'exitCode'> & { exitCode?: Promise<number> };

/** What a node daemon plugs into a session protocol. */
export interface SessionProvider<R> {
  /** Only admitted peers (the masters) may open sessions; others get their stream reset. */
  isAdmitted(peer: PeerId): boolean | Promise<boolean>;
  /** Reach the process. Throw a SessionError for an answer the master passes on; anything else is a 500. */
  open(request: R): Promise<SessionProcess>;
}

/** The master's handle on a session. */
export interface RemoteSession {
  /** stdout/stderr as the process writes them; ends after it is over (`exitCode` is then set). */
  output: AsyncIterable<ExecOutput>;
  exitCode: number | undefined;
  writeStdin(data: Uint8Array): Promise<void>;
  endStdin(): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  /** Stop the session (the client went away): the node releases it. */
  abort(): void;
}

/** Frames written one after another (outputs of two streams, then the exit, never interleaved). */
function serialWriter(framed: FramedStream): (type: string, body: unknown) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (type, body) => {
    const next = last.then(() => framed.write(type, body));
    last = next.catch(() => undefined);
    return next;
  };
}

/** Serve a session protocol whose first frame is `requestType`. Returns a function that unregisters the handler. */
export async function serveSessions<T extends MessageType>(
  host: MeshHost,
  protocol: string,
  requestType: T,
  provider: SessionProvider<MessageBody<T>>,
): Promise<() => Promise<void>> {
  return serveNodeStream(host, protocol, (peer) => provider.isAdmitted(peer), async (framed) => {
    const stream = framed.stream;
    let proc: SessionProcess | undefined;
    stream.addEventListener('close', () => proc?.close(), { once: true });
    try {
      const env = await framed.expect(requestType, AbortSignal.timeout(SESSION_OPEN_TIMEOUT_MS));
      const request = checkMessage(requestType, env.body);
      try {
        proc = await provider.open(request);
      } catch (err) {
        await framed.write('exec.error', { code: err instanceof SessionError ? err.code : 500, message: (err as Error).message });
        await framed.close();
        return;
      }
      const send = serialWriter(framed);
      await send('exec.started', {});
      void feedInput(framed, proc);
      await Promise.all([pumpOutput(proc.stdout, 1, send), proc.stderr ? pumpOutput(proc.stderr, 2, send) : undefined]);
      await send('exec.exit', { code: proc.exitCode ? await proc.exitCode : 0 });
      await framed.close();
    } catch (err) {
      // A bad frame, a timeout or the master's reset ends this session only.
      proc?.close();
      framed.abort(err as Error);
    }
  });
}

async function pumpOutput(source: Readable, fd: 1 | 2, send: (type: string, body: unknown) => Promise<void>): Promise<void> {
  for await (const piece of source as AsyncIterable<Buffer | string>) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    for (let at = 0; at < bytes.length; at += SESSION_CHUNK_BYTES) await send('exec.output', { fd, data: bytes.subarray(at, at + SESSION_CHUNK_BYTES) });
  }
}

/** The master's side of the stream into the process, until the master stops writing. */
async function feedInput(framed: FramedStream, proc: SessionProcess): Promise<void> {
  const stdin = proc.stdin;
  try {
    for (;;) {
      const env = await framed.read();
      if (env.type === 'exec.stdin') {
        const { data } = checkMessage('exec.stdin', env.body);
        if (stdin && !stdin.write(data)) await new Promise((resolve) => stdin.once('drain', resolve));
      } else if (env.type === 'exec.stdin.end') {
        stdin?.end();
      } else if (env.type === 'exec.resize') {
        const { cols, rows } = checkMessage('exec.resize', env.body);
        await proc.resize(cols, rows);
      } else {
        throw new Error(`unexpected ${env.type} on a session stream`);
      }
    }
  } catch (err) {
    // The master closing its side is EOF for stdin; anything else ends the session.
    if (err instanceof StreamEndedError) stdin?.end();
    else if (framed.stream.status === 'open') framed.abort(err as Error);
  }
}

/**
 * Open a session on a node: resolves once the process is reached (node errors reject here with
 * the node's SessionError; 503 when no address answers, 502 when the node broke the stream off).
 */
export async function openSession<T extends MessageType>(host: MeshHost, nodeAddrs: readonly string[], protocol: string, requestType: T, request: MessageBody<T>, signal?: AbortSignal): Promise<RemoteSession> {
  const openSignal = signal ? AbortSignal.any([signal, AbortSignal.timeout(SESSION_OPEN_TIMEOUT_MS)]) : AbortSignal.timeout(SESSION_OPEN_TIMEOUT_MS);
  const framed = new FramedStream(await dialNode(host, nodeAddrs, protocol, openSignal, (detail) => new SessionError(503, `no address of the node answered: ${detail}`)));
  try {
    await framed.write(requestType, request, openSignal);
    const env = await framed.read(openSignal);
    if (env.type === 'exec.error') {
      const { code, message } = checkMessage('exec.error', env.body);
      throw new SessionError(code, message);
    }
    if (env.type !== 'exec.started') throw new SessionError(502, `unexpected ${env.type} on a session stream`);
  } catch (err) {
    framed.abort(err as Error);
    throw err instanceof SessionError || openSignal.aborted ? err : new SessionError(502, `the node broke off the session stream: ${(err as Error).message}`);
  }
  if (signal?.aborted) framed.abort(new Error('session ended by the client'));
  else signal?.addEventListener('abort', () => framed.abort(new Error('session ended by the client')), { once: true });
  const send = serialWriter(framed);
  const ended: { code?: number } = {};
  const output = (async function* (): AsyncGenerator<ExecOutput> {
    for (;;) {
      let env;
      try {
        env = await framed.read();
      } catch (err) {
        throw new SessionError(502, `the node broke off the session stream: ${(err as Error).message}`);
      }
      if (env.type === 'exec.output') yield checkMessage('exec.output', env.body);
      else if (env.type === 'exec.exit') {
        ended.code = checkMessage('exec.exit', env.body).code;
        await framed.close();
        return;
      } else if (env.type === 'exec.error') {
        const { code, message } = checkMessage('exec.error', env.body);
        framed.abort(new Error(message));
        throw new SessionError(code, message);
      } else {
        framed.abort(new Error(`unexpected ${env.type}`));
        throw new SessionError(502, `unexpected ${env.type} on a session stream`);
      }
    }
  })();
  return {
    output,
    get exitCode() {
      return ended.code;
    },
    writeStdin: (data) => send('exec.stdin', { data }),
    endStdin: () => send('exec.stdin.end', {}),
    resize: (cols, rows) => send('exec.resize', { cols, rows }),
    abort: () => framed.abort(new Error('session ended by the client')),
  };
}
