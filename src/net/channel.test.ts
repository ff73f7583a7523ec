import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMeshHost, type MeshHost } from './host.ts';
import { openChannel, serveChannel, type Channel } from './channel.ts';
import type { Envelope } from './codec.ts';
import { PROTOCOL_ACTOR } from './protocols.ts';
import { waitFor } from '../../test/support/wait.ts';


describe('actor channels', () => {
  let dir: string;
  let master: MeshHost;
  let admittedNode: MeshHost;
  let strangerNode: MeshHost;
  const atMaster: Envelope[] = [];
  const rejected: string[] = [];
  const masterChannels: Channel[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-chan-'));
    master = await createMeshHost({ dataDir: join(dir, 'm') });
    admittedNode = await createMeshHost({ dataDir: join(dir, 'a') });
    strangerNode = await createMeshHost({ dataDir: join(dir, 's') });
    await serveChannel(master, PROTOCOL_ACTOR, {
      isAdmitted: (peer) => peer.equals(admittedNode.peerId),
      onRejected: (peer) => rejected.push(peer.toString()),
      onChannel(channel) {
        masterChannels.push(channel);
        return async (env, ch) => {
          atMaster.push(env);
          if (env.type === 'ping.request') await ch.send('ping.reply', env.body);
        };
      },
    });
  });

  afterAll(async () => {
    await Promise.all([admittedNode?.stop(), strangerNode?.stop(), master?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const addr = () => master.getMultiaddrs()[0]!.toString();

  it('carries messages both ways for an admitted peer', async () => {
    const atNode: Envelope[] = [];
    const ch = await openChannel(admittedNode, addr(), PROTOCOL_ACTOR, (env) => {
      atNode.push(env);
    });
    await ch.send('pod.status', { name: 'p', phase: 'Running' });
    await ch.send('ping.request', { n: 1 });
    await waitFor('the condition', () => atNode.length === 1);
    expect(atMaster.map((e) => e.type)).toEqual(['pod.status', 'ping.request']);
    expect(atNode[0]).toEqual({ v: 1, type: 'ping.reply', body: { n: 1 } });
    expect(ch.peer.equals(master.peerId)).toBe(true);
    await ch.close();
  });

  it('resets streams from peers that were never admitted', async () => {
    const before = atMaster.length;
    const ch = await openChannel(strangerNode, addr(), PROTOCOL_ACTOR, () => {});
    await ch.send('pod.status', { from: 'stranger' }).catch(() => undefined);
    await ch.closed; // the master ended it: reset, or closed if our write raced the reset
    expect(rejected).toContain(strangerNode.peerId.toString());
    expect(atMaster.length).toBe(before);
  });

  it('a bad frame ends that channel only', async () => {
    const good = await openChannel(admittedNode, addr(), PROTOCOL_ACTOR, () => {});
    const bad = await admittedNode.dialProtocol(master.getMultiaddrs()[0]!, PROTOCOL_ACTOR);
    bad.send(Uint8Array.from([3, 0x93, 0x01, 0x02])); // a msgpack array, not an envelope map
    await waitFor('the condition', () => masterChannels.length >= 3);
    const badEnd = await masterChannels[masterChannels.length - 1]!.closed;
    expect(badEnd?.name).toBe('FrameError');
    const before = atMaster.length;
    await good.send('pod.status', { still: 'alive' });
    await waitFor('the condition', () => atMaster.length === before + 1);
    await good.close();
  });
});
