import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createMeshHost, type MeshHost } from './host.ts';
import { EXEC_CHUNK_BYTES, ExecError, openExec, serveExec, type ExecSession } from './exec.ts';
import type { ExecProcess } from '../runtime/types.ts';
import type { ExecRequest } from './messages.ts';
import { waitFor } from '../../test/support/wait.ts';

/** A command the test drives by hand: what it read from stdin, its resizes, and its streams. */
interface FakeExec extends ExecProcess {
  stdin: PassThrough;
  stdout: PassThrough;
  stderr: PassThrough;
  input: Buffer[];
  resizes: [number, number][];
  closed: boolean;
  exit(code: number): void;
}

function fakeExec(): FakeExec {
  let exit!: (code: number) => void;
  const exec: FakeExec = {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    input: [],
    resizes: [],
    closed: false,
    exitCode: new Promise<number>((resolve) => (exit = resolve)),
    resize: async (cols, rows) => void exec.resizes.push([cols, rows]),
    close: () => void (exec.closed = true),
    exit: (code) => {
      exec.stdout.end();
      exec.stderr.end();
      exit(code);
    },
  };
  exec.stdin.on('data', (d: Buffer) => exec.input.push(d));
  return exec;
}

const request = (container: string, extra: Partial<ExecRequest> = {}): ExecRequest => ({ namespace: 'default', name: 'p', uid: 'u1', container, command: ['sh'], stdin: true, tty: false, ...extra });

async function collect(session: ExecSession): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  for await (const piece of session.output) {
    if (piece.fd === 1) out += Buffer.from(piece.data).toString();
    else err += Buffer.from(piece.data).toString();
  }
  return { out, err };
}

describe('exec over libp2p', () => {
  let dir: string;
  let master: MeshHost;
  let node: MeshHost;
  let stranger: MeshHost;
  const execs = new Map<string, FakeExec>();
  const asked: ExecRequest[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-exec-'));
    master = await createMeshHost({ dataDir: join(dir, 'm') });
    node = await createMeshHost({ dataDir: join(dir, 'n') });
    stranger = await createMeshHost({ dataDir: join(dir, 's') });
    await serveExec(node, {
      isAdmitted: (peer) => peer.equals(master.peerId),
      async open(req) {
        asked.push(req);
        if (req.container === 'missing') throw new ExecError(404, 'container "missing" in pod "p" not found on this node');
        if (req.container === 'broken') throw new Error('engine said no');
        const exec = fakeExec();
        execs.set(req.container, exec);
        return exec;
      },
    });
  });

  afterAll(async () => {
    await Promise.all([master?.stop(), node?.stop(), stranger?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const nodeAddrs = () => node.getMultiaddrs().map(String);

  it('carries stdin, resizes, stdout and stderr both ways, then the exit code', async () => {
    const session = await openExec(master, nodeAddrs(), request('c1', { command: ['cat', '-'], tty: true }));
    const exec = execs.get('c1')!;
    expect(asked.at(-1)).toMatchObject({ container: 'c1', command: ['cat', '-'], stdin: true, tty: true });
    const done = collect(session);
    await session.writeStdin(new TextEncoder().encode('hello '));
    await session.resize(120, 40);
    await session.writeStdin(new TextEncoder().encode('world'));
    await session.endStdin();
    await waitFor('stdin ended', () => exec.stdin.readableEnded || undefined);
    expect(Buffer.concat(exec.input).toString()).toBe('hello world');
    expect(exec.resizes).toEqual([[120, 40]]);
    exec.stdout.write('out');
    exec.stderr.write('err');
    exec.stdout.write(Buffer.alloc(EXEC_CHUNK_BYTES + 10, 'x'));
    exec.exit(3);
    const { out, err } = await done;
    expect(out).toBe(`out${'x'.repeat(EXEC_CHUNK_BYTES + 10)}`);
    expect(err).toBe('err');
    expect(session.exitCode).toBe(3);
  });

  it("passes the node's refusal on with its code, and a provider failure as a 500", async () => {
    await expect(openExec(master, nodeAddrs(), request('missing'))).rejects.toMatchObject({ code: 404, message: expect.stringContaining('not found on this node') });
    await expect(openExec(master, nodeAddrs(), request('broken'))).rejects.toMatchObject({ code: 500, message: 'engine said no' });
  });

  it('the client going away releases the exec on the node', async () => {
    const abort = new AbortController();
    const session = await openExec(master, nodeAddrs(), request('c2'), abort.signal);
    const pending = session.output[Symbol.asyncIterator]().next();
    abort.abort();
    await expect(pending).rejects.toBeInstanceOf(ExecError);
    await waitFor('exec released', () => execs.get('c2')!.closed || undefined);
  });

  it('a master that closes its side ends stdin (EOF), and the command still reports its exit', async () => {
    const session = await openExec(master, nodeAddrs(), request('c3'));
    const exec = execs.get('c3')!;
    const done = collect(session);
    await session.writeStdin(new TextEncoder().encode('x'));
    await session.endStdin();
    await waitFor('stdin ended', () => exec.stdin.readableEnded || undefined);
    exec.exit(0);
    expect(await done).toEqual({ out: '', err: '' });
    expect(session.exitCode).toBe(0);
  });

  it('refuses peers that were not admitted', async () => {
    await expect(openExec(stranger, nodeAddrs(), request('c4'))).rejects.toBeInstanceOf(ExecError);
    expect(execs.has('c4')).toBe(false);
  });

  it('an unknown address is 503', async () => {
    await expect(openExec(master, [], request('c5'))).rejects.toMatchObject({ code: 503 });
  });
});
