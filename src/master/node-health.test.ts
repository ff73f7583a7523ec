/**
 * What a master tells a node about its health and where else to go, over the real mesh with an
 * embedded store: heartbeat acknowledgements (the Lease renewed, the self-fence period that
 * follows from the master's graces), `masters.known` on open, and the connection-lost note a
 * closed channel leaves on the node's Lease, which the leader's node machine gives as the reason
 * when the node then goes unreachable.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_LOST_AT, CONNECTION_LOST_MASTER } from '../actors/node/connection-note.ts';
import { selfFenceAfterMs } from '../actors/node/fencing.ts';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isRecord, recordList } from '../api/object.ts';
import { openChannel, type Channel } from '../net/channel.ts';
import type { Envelope } from '../net/codec.ts';
import { createMeshHost, type MeshHost } from '../net/host.ts';
import { requestJoin } from '../net/join.ts';
import type { NodeHeartbeat } from '../net/messages.ts';
import { PROTOCOL_ACTOR, PROTOCOL_HEARTBEAT } from '../net/protocols.ts';
import { waitFor } from '../registry/test-support.ts';
import { openEmbeddedStore } from '../store/embedded/index.ts';
import type { Store } from '../store/types.ts';
import { startMaster, type Master } from './master.ts';

const NODES = findKind('v1', 'Node') as ResourceInfo;
const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;
const CAPACITY = { cpu: '2', memory: '4Gi', pods: '110' };

function heartbeat(name: string): NodeHeartbeat {
  return { nodeName: name, ready: true, capacity: CAPACITY, allocatable: CAPACITY, nodeInfo: {}, addresses: [], time: new Date().toISOString() };
}

describe('master: node health over the mesh', () => {
  let dir: string;
  let store: Store;
  let master: Master;
  let host: MeshHost;
  const down: Envelope[] = [];
  const acks: Envelope[] = [];
  let actor: Channel;
  let beats: Channel;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-node-health-'));
    store = await openEmbeddedStore(join(dir, 'store'));
    master = await startMaster({ store, dataDir: join(dir, 'master'), port: 0, name: 'm1', nodeMonitorGracePeriodSeconds: 2, podEvictionTimeoutSeconds: 30, leaseRetryPeriodMs: 100 });
    host = await createMeshHost({ dataDir: join(dir, 'node') });
    const { token } = await master.createJoinToken();
    await requestJoin(host, master.meshAddrs[0]!, { token, nodeName: 'hn', capacity: CAPACITY, addresses: host.getMultiaddrs().map(String) });
    actor = await openChannel(host, master.meshAddrs[0]!, PROTOCOL_ACTOR, (env) => void down.push(env));
    beats = await openChannel(host, master.meshAddrs[0]!, PROTOCOL_HEARTBEAT, (env) => void acks.push(env));
  });

  afterAll(async () => {
    await host?.stop();
    await master?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('acknowledges each heartbeat once the Lease is renewed, with the self-fence period its graces allow', async () => {
    const hb = heartbeat('hn');
    await beats.send('node.heartbeat', hb);
    const ack = await waitFor('the acknowledgement', () => acks.find((e) => e.type === 'node.heartbeat.ack'));
    expect(ack.body).toEqual({ time: hb.time, leaseRenewed: true, selfFenceAfterMs: selfFenceAfterMs(2000, 30_000) });
    expect(selfFenceAfterMs(2000, 30_000)).toBe(29_000);
    const lease = await master.api.registry.get(LEASES, 'kube-node-lease', 'hn');
    expect(lease.spec).toMatchObject({ holderIdentity: 'hn' });
  });

  it('tells a node on open where every master listens', async () => {
    const known = await waitFor('masters.known', () => down.find((e) => e.type === 'masters.known'));
    expect(known.body).toEqual({ masters: master.meshAddrs });
  });

  it('notes a closed connection on the Lease; the node going unreachable then gives it as the reason; a renewal takes it off', async () => {
    await waitFor('leadership', () => master.isLeader());
    await beats.send('node.heartbeat', heartbeat('hn'));
    await waitFor('Ready', async () => {
      const n = await master.api.registry.get(NODES, undefined, 'hn');
      return recordList(isRecord(n.status) ? n.status : undefined, 'conditions').find((c) => c.type === 'Ready')?.status === 'True';
    });
    await actor.close();
    const noted = await waitFor('the note', async () => {
      const lease = await master.api.registry.get(LEASES, 'kube-node-lease', 'hn');
      return lease.metadata?.annotations?.[CONNECTION_LOST_AT] ? lease : undefined;
    });
    expect(noted.metadata?.annotations?.[CONNECTION_LOST_MASTER]).toBe('m1');
    const reachable = await waitFor('Reachable False', async () => {
      const n = await master.api.registry.get(NODES, undefined, 'hn');
      const c = recordList(isRecord(n.status) ? n.status : undefined, 'conditions').find((x) => x.type === 'Reachable');
      return c?.status === 'False' ? c : undefined;
    }, 6000);
    expect(reachable).toMatchObject({ reason: 'ConnectionLost' });
    expect(String(reachable.message)).toMatch(/^No heartbeat for 2s; its connection to master m1 closed at /);

    await beats.send('node.heartbeat', heartbeat('hn'));
    await waitFor('the note gone', async () => {
      const lease = await master.api.registry.get(LEASES, 'kube-node-lease', 'hn');
      return lease.metadata?.annotations?.[CONNECTION_LOST_AT] === undefined;
    });
  });
});
