/**
 * The node controller against a real embedded store, on a SimulatedClock: Leases renewed in the
 * store are heartbeats, and what the cluster sees (conditions, taints, failed pods) follows from
 * the node machine's states, written by their entry actions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { NODE_LEASE_NAMESPACE } from '../../api/namespaces.ts';
import { isRecord, recordList, type KubeObject } from '../../api/object.ts';
import { retryOnConflict } from '../../registry/retry-on-conflict.ts';
import { waitFor } from '../../registry/test-support.ts';
import { NodeController } from './controller.ts';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './taints.ts';
import { createPod, LEASES, NODES, nodeFixture, podEvents, podStatus, RUNNING, type NodeFixture } from './test-support.ts';

const S = 1000;
const GRACE = 40 * S;
const EVICTION = 300 * S;

let f: NodeFixture;
let clock: SimulatedClock;
let controller: NodeController;
let renewals = 0;

beforeEach(async () => {
  f = await nodeFixture();
  clock = new SimulatedClock();
  clock.set(Date.now());
  controller = new NodeController({ store: f.store, registry: f.registry, events: f.events, bus: f.bus, notReadyGraceMs: GRACE, podFailGraceMs: EVICTION, clock });
  await controller.start();
});
afterEach(async () => {
  controller.stop();
  await controller.settled();
  await f.close();
});

/** What the gateway writes on a heartbeat: the Lease renewed, Ready as the daemon says. */
async function heartbeat(name: string, ready = true): Promise<void> {
  renewals += 1;
  const renewTime = new Date(Date.now() + renewals).toISOString();
  const lease = await f.registry.get(LEASES, NODE_LEASE_NAMESPACE, name).catch(() => undefined);
  if (lease) await f.registry.update(LEASES, NODE_LEASE_NAMESPACE, name, { ...lease, spec: { ...(lease.spec as object), renewTime } });
  else await f.registry.create(LEASES, NODE_LEASE_NAMESPACE, { metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime } });
  await retryOnConflict(async () => {
    const node = await f.registry.get(NODES, undefined, name);
    const status = isRecord(node.status) ? node.status : {};
    const others = recordList(status, 'conditions').filter((c) => c.type !== 'Ready');
    const readyCondition = { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady' };
    await f.registry.updateStatus(NODES, undefined, name, { ...node, status: { ...status, conditions: [readyCondition, ...others] } });
  });
}

async function node(name: string): Promise<KubeObject> {
  return f.registry.get(NODES, undefined, name);
}

const taintsOf = (n: KubeObject) => recordList(isRecord(n.spec) ? n.spec : undefined, 'taints').map((t) => `${String(t.key)}:${String(t.effect)}`).sort();
const readyOf = (n: KubeObject) => recordList(isRecord(n.status) ? n.status : undefined, 'conditions').find((c) => c.type === 'Ready')?.status;

describe('NodeController', () => {
  it('taints follow the machine: not-ready while the daemon says so, unreachable once heartbeats stop, none once back', async () => {
    await f.registry.create(NODES, undefined, { metadata: { name: 'n1' } });
    await waitFor('machine pending', () => controller.stateOf('n1') === 'pending');
    await heartbeat('n1', false);
    await waitFor('not ready', () => controller.stateOf('n1')?.startsWith('running.reachable.daemon.notReady'));
    await controller.settled();
    expect(taintsOf(await node('n1'))).toEqual([`${TAINT_NODE_NOT_READY}:NoExecute`, `${TAINT_NODE_NOT_READY}:NoSchedule`]);

    await heartbeat('n1', true);
    await waitFor('ready', () => controller.stateOf('n1')?.startsWith('running.reachable.daemon.ready'));
    await controller.settled();
    expect(taintsOf(await node('n1'))).toEqual([]);

    clock.increment(GRACE);
    expect(controller.stateOf('n1')).toBe('running.unreachable.grace');
    await controller.settled();
    const unreachable = await node('n1');
    expect(readyOf(unreachable)).toBe('Unknown');
    expect(taintsOf(unreachable)).toEqual([`${TAINT_NODE_UNREACHABLE}:NoExecute`, `${TAINT_NODE_UNREACHABLE}:NoSchedule`]);

    await heartbeat('n1', true);
    await waitFor('back', () => controller.stateOf('n1')?.startsWith('running.reachable.daemon.ready'));
    await controller.settled();
    expect(taintsOf(await node('n1'))).toEqual([]);
  });

  it('fails the pods of a lost node through their actors: one status write per unfinished pod, none for the others', async () => {
    await f.registry.create(NODES, undefined, { metadata: { name: 'n1' } });
    await f.registry.create(NODES, undefined, { metadata: { name: 'n2' } });
    await waitFor('machines', () => controller.stateOf('n1') === 'pending' && controller.stateOf('n2') === 'pending');
    await heartbeat('n1');
    await heartbeat('n2');
    await createPod(f, 'web', 'n1', RUNNING);
    await createPod(f, 'starting', 'n1', { phase: 'Pending' });
    await createPod(f, 'job', 'n1', { phase: 'Succeeded' }, 'Never');
    await createPod(f, 'other', 'n2', RUNNING);
    f.podStatusWrites.length = 0;

    clock.increment(GRACE);
    await heartbeat('n2'); // n2 stays reachable
    clock.increment(EVICTION - 1);
    await controller.settled();
    expect(f.podStatusWrites).toEqual([]);
    await heartbeat('n2');
    clock.increment(1);
    expect(controller.stateOf('n1')).toBe('running.unreachable.lost');
    await controller.settled();

    expect(f.podStatusWrites.map((w) => w.pod).sort()).toEqual(['default/starting', 'default/web']);
    expect(f.podStatusWrites.every((w) => w.phase === 'Failed')).toBe(true);
    expect(await podStatus(f, 'web')).toMatchObject({ phase: 'Failed', reason: 'NodeLost', message: 'Node n1 which was running pod web is unresponsive' });
    expect((await podStatus(f, 'job')).phase).toBe('Succeeded');
    expect((await podStatus(f, 'other')).phase).toBe('Running');
    expect(await podEvents(f, 'web')).toEqual(['NodeLost: Node n1 which was running pod web is unresponsive']);
    // The phase came from the pod machine's own transition, published like any actor's.
    // (Entering `failed` passes its transient `deciding`; each pod leaves running once.)
    expect(f.transitions.filter((t) => t.kind === 'Pod' && t.actor === '' && t.to.startsWith('failed') && !t.from.startsWith('failed')).map((t) => [t.name, t.event]).sort()).toEqual([
      ['starting', 'node.lost'],
      ['web', 'node.lost'],
    ]);
  });

  it('a Node deleted through the API terminates its machine, which deletes its pods', async () => {
    await f.registry.create(NODES, undefined, { metadata: { name: 'n1' } });
    await waitFor('machine', () => controller.stateOf('n1') === 'pending');
    await createPod(f, 'orphan', 'n1', RUNNING);
    await f.registry.delete(NODES, undefined, 'n1');
    await waitFor('machine gone', () => controller.stateOf('n1') === undefined);
    await controller.settled();
    await expect(podStatus(f, 'orphan')).rejects.toMatchObject({ code: 404 });
  });
});
