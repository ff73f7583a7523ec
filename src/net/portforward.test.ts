import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { createMeshHost, type MeshHost } from './host.ts';
import { PortForwardError, openPortForward, servePortForward } from './portforward.ts';
import type { PortForwardRequest } from './messages.ts';
import { waitFor } from '../../test/support/wait.ts';

/** Everything a connection delivers until its end. */
function readToEnd(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

describe('port-forward over libp2p', () => {
  let dir: string;
  let master: MeshHost;
  let node: MeshHost;
  let stranger: MeshHost;
  /** The pod: echoes what it got once the client half-closed, then ends. */
  let pod: Server;
  let podPort: number;
  const podSockets: Socket[] = [];
  const asked: PortForwardRequest[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-portforward-'));
    pod = createServer({ allowHalfOpen: true }, (socket) => {
      podSockets.push(socket);
      const chunks: Buffer[] = [];
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.on('end', () => socket.end(Buffer.concat(chunks)));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => pod.listen(0, '127.0.0.1', resolve));
    podPort = (pod.address() as AddressInfo).port;
    master = await createMeshHost({ dataDir: join(dir, 'm') });
    node = await createMeshHost({ dataDir: join(dir, 'n') });
    stranger = await createMeshHost({ dataDir: join(dir, 's') });
    await servePortForward(node, {
      isAdmitted: (peer) => peer.equals(master.peerId),
      async connect(req) {
        asked.push(req);
        if (req.port === 1) throw new PortForwardError(502, 'failed to connect to localhost:1 inside namespace "sb", IPv4: dial tcp4 127.0.0.1:1: connect: connection refused');
        if (req.port === 2) throw new Error('engine said no');
        const socket = connect({ host: '127.0.0.1', port: podPort, allowHalfOpen: true });
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        });
        return socket;
      },
    });
  });

  afterAll(async () => {
    await Promise.all([master?.stop(), node?.stop(), stranger?.stop()]);
    for (const s of podSockets) s.destroy();
    await new Promise<void>((resolve) => pod.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const nodeAddrs = () => node.getMultiaddrs().map(String);
  const request = (port: number): PortForwardRequest => ({ namespace: 'default', name: 'web', uid: 'u1', port });

  it('carries bytes both ways, and each side\'s end as the other\'s FIN', async () => {
    const conn = await openPortForward(master, nodeAddrs(), request(8080));
    expect(asked.at(-1)).toEqual(request(8080));
    const answer = readToEnd(conn);
    conn.write('hello ');
    conn.end('pod');
    expect((await answer).toString()).toBe('hello pod');
  });

  it('moves megabytes in both directions', async () => {
    const conn = await openPortForward(master, nodeAddrs(), request(8080));
    const payload = Buffer.alloc(5 * 1024 * 1024 + 3, 7);
    const answer = readToEnd(conn);
    conn.end(payload);
    expect((await answer).equals(payload)).toBe(true);
  });

  it("passes the node's refusal on with its code and message, and a provider failure as a 500", async () => {
    await expect(openPortForward(master, nodeAddrs(), request(1))).rejects.toMatchObject({ code: 502, fromNode: true, message: expect.stringContaining('connection refused') });
    await expect(openPortForward(master, nodeAddrs(), request(2))).rejects.toMatchObject({ code: 500, message: 'engine said no' });
  });

  it('a master that drops the connection drops the pod connection', async () => {
    const before = podSockets.length;
    const conn = await openPortForward(master, nodeAddrs(), request(8080));
    conn.write('partial');
    const podSide = await waitFor('the pod connection', () => podSockets[before]);
    const closed = new Promise<void>((resolve) => podSide.once('close', () => resolve()));
    conn.destroy();
    await closed;
  });

  it('a pod that drops the connection drops the master\'s (an error, not an end)', async () => {
    const before = podSockets.length;
    const conn = await openPortForward(master, nodeAddrs(), request(8080));
    conn.write('x');
    const podSide = await waitFor('the pod connection', () => podSockets[before]);
    const failed = new Promise<Error | undefined>((resolve) => {
      conn.on('error', resolve);
      conn.on('close', () => resolve(undefined));
    });
    conn.resume();
    podSide.resetAndDestroy();
    await failed;
    expect(conn.readableEnded).toBe(false);
    expect(conn.destroyed).toBe(true);
  });

  it('refuses peers that were not admitted, and an unknown address is 503', async () => {
    const count = asked.length;
    await expect(openPortForward(stranger, nodeAddrs(), request(8080))).rejects.toBeInstanceOf(PortForwardError);
    expect(asked.length).toBe(count);
    await expect(openPortForward(master, [], request(8080))).rejects.toMatchObject({ code: 503, fromNode: false });
  });
});
