import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createMeshHost, type MeshHost } from './host.ts';
import { fetchLogs, LOGS_CHUNK_BYTES, LogsError, serveLogs } from './logs.ts';
import type { LogsRequest } from './messages.ts';
import { waitFor } from '../../test/support/wait.ts';


const request = (container: string, extra: Partial<LogsRequest> = {}): LogsRequest => ({ namespace: 'default', name: 'p', uid: 'u1', container, ...extra });

describe('logs over libp2p', () => {
  let dir: string;
  let master: MeshHost;
  let node: MeshHost;
  let stranger: MeshHost;
  /** What the node's provider was asked, and the sources it handed out, by container name. */
  const asked: LogsRequest[] = [];
  const sources = new Map<string, PassThrough>();
  const big = Buffer.alloc(LOGS_CHUNK_BYTES * 2 + 100, 'x');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-logs-'));
    master = await createMeshHost({ dataDir: join(dir, 'm') });
    node = await createMeshHost({ dataDir: join(dir, 'n') });
    stranger = await createMeshHost({ dataDir: join(dir, 's') });
    await serveLogs(node, {
      isAdmitted: (peer) => peer.equals(master.peerId),
      async open(req) {
        asked.push(req);
        if (req.container === 'missing') throw new LogsError(404, `container "missing" in pod "p" is not available`);
        if (req.container === 'broken') throw new Error('engine said no');
        if (req.container === 'done') return Readable.from([Buffer.from('one\n'), 'two\n', big]);
        const source = new PassThrough();
        sources.set(req.container, source);
        return source;
      },
    });
  });

  afterAll(async () => {
    await Promise.all([master?.stop(), node?.stop(), stranger?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const nodeAddrs = () => node.getMultiaddrs().map(String);

  it('streams a finished log in chunks of at most 64 KiB, then ends', async () => {
    const pieces: Uint8Array[] = [];
    for await (const piece of await fetchLogs(master, nodeAddrs(), request('done', { tailLines: 5, timestamps: true }))) pieces.push(piece);
    expect(Buffer.concat(pieces).equals(Buffer.concat([Buffer.from('one\ntwo\n'), big]))).toBe(true);
    expect(Math.max(...pieces.map((p) => p.length))).toBe(LOGS_CHUNK_BYTES);
    expect(asked.at(-1)).toMatchObject({ container: 'done', tailLines: 5, timestamps: true });
  });

  it('follow: chunks arrive as the source writes them; leaving the loop stops the source', async () => {
    const log = await fetchLogs(master, nodeAddrs(), request('follow', { follow: true }));
    const source = sources.get('follow')!;
    const it = log[Symbol.asyncIterator]();
    source.write('first line\n');
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('first line\n');
    source.write('second line\n');
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('second line\n');
    await it.return?.();
    await waitFor('the condition', () => source.destroyed);
  });

  it('follow: aborting the signal while waiting for output stops the source', async () => {
    const abort = new AbortController();
    const log = await fetchLogs(master, nodeAddrs(), request('quiet', { follow: true }), abort.signal);
    const source = sources.get('quiet')!;
    const pending = log[Symbol.asyncIterator]().next();
    abort.abort();
    await expect(pending).rejects.toThrow();
    await waitFor('the condition', () => source.destroyed);
  });

  it('the container exiting ends a followed log', async () => {
    const log = await fetchLogs(master, nodeAddrs(), request('exits', { follow: true }));
    const source = sources.get('exits')!;
    source.end('bye\n');
    const pieces: string[] = [];
    for await (const piece of log) pieces.push(Buffer.from(piece).toString());
    expect(pieces.join('')).toBe('bye\n');
  });

  it('a source failing mid-log is a 500 after the bytes before it', async () => {
    const log = await fetchLogs(master, nodeAddrs(), request('fails', { follow: true }));
    const source = sources.get('fails')!;
    const it = log[Symbol.asyncIterator]();
    source.write('partial\n');
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('partial\n');
    source.destroy(new Error('disk gone'));
    await expect(it.next()).rejects.toMatchObject({ name: 'LogsError', code: 500 });
  });

  it('node errors reject fetchLogs with their code before any byte', async () => {
    await expect(fetchLogs(master, nodeAddrs(), request('missing'))).rejects.toMatchObject({ name: 'LogsError', code: 404, message: 'container "missing" in pod "p" is not available' });
    const broken = await fetchLogs(master, nodeAddrs(), request('broken')).catch((err: unknown) => err);
    expect(broken).toBeInstanceOf(LogsError);
    expect(broken).toMatchObject({ code: 500, message: 'engine said no' });
  });

  it('a malformed request gets the stream reset, and the node keeps serving', async () => {
    const bad = { namespace: 'default', name: 'p', uid: 'u1' } as unknown as LogsRequest; // no container
    await expect(fetchLogs(master, nodeAddrs(), bad)).rejects.toMatchObject({ name: 'LogsError', code: 502 });
    const again = await fetchLogs(master, nodeAddrs(), request('done'));
    let bytes = 0;
    for await (const piece of again) bytes += piece.length;
    expect(bytes).toBe(8 + big.length);
  });

  it('peers that were never admitted are refused', async () => {
    const before = asked.length;
    await expect(fetchLogs(stranger, nodeAddrs(), request('done'))).rejects.toMatchObject({ name: 'LogsError', code: 502 });
    expect(asked.length).toBe(before);
  });

  it('tries the next address when one does not answer; none answering is a 503', async () => {
    const peer = node.peerId.toString();
    const dead = `/ip4/127.0.0.1/tcp/1/p2p/${peer}`;
    const log = await fetchLogs(master, [dead, ...nodeAddrs()], request('done'));
    let bytes = 0;
    for await (const piece of log) bytes += piece.length;
    expect(bytes).toBe(8 + big.length);
    const other = await createMeshHost({ dataDir: join(dir, 'o') });
    const unreachable = `/ip4/127.0.0.1/tcp/1/p2p/${other.peerId.toString()}`;
    await other.stop();
    await expect(fetchLogs(master, [unreachable], request('done'))).rejects.toMatchObject({ name: 'LogsError', code: 503 });
  });
});
