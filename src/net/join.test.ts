import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerId } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { createMeshHost, type MeshHost } from './host.ts';
import { requestJoin, serveJoin, type JoinRequest } from './join.ts';
import { JoinRefusedError } from './errors.ts';
import { PROTOCOL_JOIN } from './protocols.ts';
import { formatToken, generateToken, parseToken, secretsEqual } from './token.ts';
import { loadOrCreateIdentity } from './identity.ts';

describe('join over libp2p', () => {
  let dir: string;
  let master: MeshHost;
  let node: MeshHost;
  const token = generateToken();
  const admitted: string[] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-net-'));
    master = await createMeshHost({ dataDir: join(dir, 'master') });
    node = await createMeshHost({ dataDir: join(dir, 'node') });
    await serveJoin(master, {
      async admit(peer: PeerId, req: JoinRequest) {
        const t = parseToken(req.token);
        if (!t || t.id !== token.id || !secretsEqual(t.secret, token.secret)) throw new JoinRefusedError('invalid token');
        admitted.push(peer.toString());
        return { nodeName: req.nodeName };
      },
      onRefused(_peer, reason) {
        refused.push(reason);
      },
    });
  });

  afterAll(async () => {
    await node?.stop();
    await master?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const masterAddr = () => master.getMultiaddrs()[0]!.toString();
  const request = (tokenText: string): JoinRequest => ({
    token: tokenText,
    nodeName: 'node-a',
    capacity: { cpu: '2', memory: '4Gi', pods: '110' },
    addresses: node.getMultiaddrs().map(String),
  });

  it('listens on loopback only', () => {
    for (const ma of master.getMultiaddrs()) expect(ma.toString()).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
  });

  it('admits a peer with a valid token', async () => {
    const res = await requestJoin(node, masterAddr(), request(formatToken(token)));
    expect(res).toEqual({ nodeName: 'node-a', masterPeerId: master.peerId.toString() });
    expect(admitted).toContain(node.peerId.toString());
  });

  it('refuses a peer with a wrong token', async () => {
    const wrong = formatToken({ id: token.id, secret: 'x'.repeat(16) });
    await expect(requestJoin(node, masterAddr(), request(wrong))).rejects.toBeInstanceOf(JoinRefusedError);
    expect(refused).toContain('invalid token');
  });

  it('a malformed frame closes that stream only; the master keeps serving', async () => {
    const stream = await node.dialProtocol(multiaddr(masterAddr()), PROTOCOL_JOIN);
    // A length prefix of 5 followed by bytes that are not msgpack of an envelope.
    stream.send(Uint8Array.from([5, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1]));
    // The master aborts the stream: the dialer sees a reset and no answer frame.
    const drain = async () => {
      for await (const _chunk of stream) throw new Error('master answered a garbage frame');
    };
    await expect(drain()).rejects.toMatchObject({ name: 'StreamResetError' });
    const res = await requestJoin(node, masterAddr(), request(formatToken(token)));
    expect(res.nodeName).toBe('node-a');
  });

  it('keeps the peer id across restarts', async () => {
    const a = await loadOrCreateIdentity(join(dir, 'node'));
    expect(a.publicKey.toString()).toBe(node.peerId.publicKey?.toString());
  });
});
