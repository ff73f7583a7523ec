/**
 * `/kactus/exec/1.0.0`: a master runs a command in a container on a node (the path behind
 * `kubectl exec`, and so `kubectl cp`), one stream per command.
 *
 *   master → node  exec.request    pod, container, argv, stdin, tty
 *   node → master  exec.started    the command runs (or exec.error {code, message}: 404 no such
 *                                  pod/container here, 400 not running / cannot exec, 500 other)
 *   then both ways at once:
 *   master → node  exec.stdin      bytes for the command's stdin
 *                  exec.stdin.end  EOF on its stdin
 *                  exec.resize     the terminal's size (tty)
 *   node → master  exec.output     {fd 1|2, bytes}, ≤ 64 KiB each
 *                  exec.exit       {code}, after all output; then the node closes the stream
 *
 * Backpressure: the node awaits each frame's write (the yamux window) and waits for the
 * command's stdin to drain before reading the next exec.stdin. The master stops an exec (the
 * client went away) by aborting the stream; the node then releases the exec.
 */
import type { Readable } from 'node:stream';
import type { ExecProcess } from '../../node-daemon/runtime/types.ts';
import type { PeerId } from '@libp2p/interface';
import { dialNode, serveNodeStream } from './node-stream.ts';
import { FramedStream } from './framed.ts';
import { StreamEndedError } from './errors.ts';
import { checkMessage, type ExecOutput, type ExecRequest } from './messages.ts';
import { PROTOCOL_EXEC } from './protocols.ts';
import type { MeshHost } from './host.ts';

/** Largest `exec.output` payload. */
export const EXEC_CHUNK_BYTES = 64 * 1024;

/** The request must arrive, and the command must start, within this time. */
export const EXEC_OPEN_TIMEOUT_MS = 10_000;

/** An exec that failed, with an HTTP-like code (see the protocol above; 503/502 as for logs). */
export class ExecError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

/** What a node daemon plugs into `serveExec`. */
export interface ExecProvider {
  /** Only admitted peers (the masters) may run commands; others get their stream reset. */
  isAdmitted(peer: PeerId): boolean | Promise<boolean>;
  /** Start the command (the runtime's ExecProcess). Throw ExecError for an answer the master passes on; anything else is a 500. */
  open(request: ExecRequest): Promise<ExecProcess>;
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

/** Serve `/kactus/exec/1.0.0` on a node. Returns a function that unregisters the handler. */
export async function serveExec(host: MeshHost, provider: ExecProvider): Promise<() => Promise<void>> {
  return serveNodeStream(host, PROTOCOL_EXEC, (peer) => provider.isAdmitted(peer), async (framed) => {
    const stream = framed.stream;
    let exec: ExecProcess | undefined;
    stream.addEventListener('close', () => exec?.close(), { once: true });
    try {
      const env = await framed.expect('exec.request', AbortSignal.timeout(EXEC_OPEN_TIMEOUT_MS));
      const request = checkMessage('exec.request', env.body);
      try {
        exec = await provider.open(request);
      } catch (err) {
        await framed.write('exec.error', { code: err instanceof ExecError ? err.code : 500, message: (err as Error).message });
        await framed.close();
        return;
      }
      const send = serialWriter(framed);
      await send('exec.started', {});
      void feedInput(framed, exec);
      await Promise.all([pumpOutput(exec.stdout, 1, send), exec.stderr ? pumpOutput(exec.stderr, 2, send) : undefined]);
      await send('exec.exit', { code: await exec.exitCode });
      await framed.close();
    } catch (err) {
      // A bad frame, a timeout or the master's reset ends this exec only.
      exec?.close();
      framed.abort(err as Error);
    }
  });
}

async function pumpOutput(source: Readable, fd: 1 | 2, send: (type: string, body: unknown) => Promise<void>): Promise<void> {
  for await (const piece of source as AsyncIterable<Buffer | string>) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    for (let at = 0; at < bytes.length; at += EXEC_CHUNK_BYTES) await send('exec.output', { fd, data: bytes.subarray(at, at + EXEC_CHUNK_BYTES) });
  }
}

/** The master's side of the stream into the command, until the master stops writing. */
async function feedInput(framed: FramedStream, exec: ExecProcess): Promise<void> {
  const stdin = exec.stdin;
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
        await exec.resize(cols, rows);
      } else {
        throw new Error(`unexpected ${env.type} on an exec stream`);
      }
    }
  } catch (err) {
    // The master closing its side is EOF for stdin; anything else ends the exec.
    if (err instanceof StreamEndedError) stdin?.end();
    else if (framed.stream.status === 'open') framed.abort(err as Error);
  }
}

/** The master's handle on a command running on a node. */
export interface ExecSession {
  /** stdout/stderr as the command writes them; ends after the command exited (`exitCode` is then set). */
  output: AsyncIterable<ExecOutput>;
  exitCode: number | undefined;
  writeStdin(data: Uint8Array): Promise<void>;
  endStdin(): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  /** Stop the exec (the client went away): the node releases it. */
  abort(): void;
}

/**
 * Start a command on a node: resolves once it runs (node errors reject here with the node's
 * ExecError; 503 when no address answers, 502 when the node broke the stream off).
 */
export async function openExec(host: MeshHost, nodeAddrs: readonly string[], request: ExecRequest, signal?: AbortSignal): Promise<ExecSession> {
  const openSignal = signal ? AbortSignal.any([signal, AbortSignal.timeout(EXEC_OPEN_TIMEOUT_MS)]) : AbortSignal.timeout(EXEC_OPEN_TIMEOUT_MS);
  const framed = new FramedStream(await dialNode(host, nodeAddrs, PROTOCOL_EXEC, openSignal, (detail) => new ExecError(503, `no address of the node answered: ${detail}`)));
  try {
    await framed.write('exec.request', request, openSignal);
    const env = await framed.read(openSignal);
    if (env.type === 'exec.error') {
      const { code, message } = checkMessage('exec.error', env.body);
      throw new ExecError(code, message);
    }
    if (env.type !== 'exec.started') throw new ExecError(502, `unexpected ${env.type} on an exec stream`);
  } catch (err) {
    framed.abort(err as Error);
    throw err instanceof ExecError || openSignal.aborted ? err : new ExecError(502, `the node broke off the exec stream: ${(err as Error).message}`);
  }
  if (signal?.aborted) framed.abort(new Error('exec ended by the client'));
  else signal?.addEventListener('abort', () => framed.abort(new Error('exec ended by the client')), { once: true });
  const send = serialWriter(framed);
  const ended: { code?: number } = {};
  const output = (async function* (): AsyncGenerator<ExecOutput> {
    for (;;) {
      let env;
      try {
        env = await framed.read();
      } catch (err) {
        throw new ExecError(502, `the node broke off the exec stream: ${(err as Error).message}`);
      }
      if (env.type === 'exec.output') yield checkMessage('exec.output', env.body);
      else if (env.type === 'exec.exit') {
        ended.code = checkMessage('exec.exit', env.body).code;
        await framed.close();
        return;
      } else if (env.type === 'exec.error') {
        const { code, message } = checkMessage('exec.error', env.body);
        framed.abort(new Error(message));
        throw new ExecError(code, message);
      } else {
        framed.abort(new Error(`unexpected ${env.type}`));
        throw new ExecError(502, `unexpected ${env.type} on an exec stream`);
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
    abort: () => framed.abort(new Error('exec ended by the client')),
  };
}
