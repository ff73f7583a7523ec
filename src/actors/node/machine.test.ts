import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { nodeConditions, nodeStatus } from './conditions.ts';
import type { NodeEffectParams, NodeEventRecord, NodeMachineInput } from './events.ts';
import { nodeMachine, nodeViewOf } from './machine.ts';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './taints.ts';

const T0 = Date.UTC(2024, 0, 1);
const S = 1000;
const INPUT: NodeMachineInput = { name: 'node-1', notReadyGraceMs: 40 * S, podFailGraceMs: 300 * S };
const CAPACITY = { cpu: '2', memory: '8Gi', pods: '110' };
const ALLOCATABLE = { cpu: '1900m', memory: '7Gi', pods: '110' };
const EFFECTS = ['recordEvent', 'writeConditions', 'taint', 'untaint', 'failPods', 'deletePods'] as const;

function startNode() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const effects = createEffectRecorder(EFFECTS);
  const actor = createActor(nodeMachine.provide({ actions: effects.actions }), { input: { ...INPUT, registeredAt: T0 }, clock });
  actor.start();
  const report = (ready: boolean, message?: string) => ({ at: clock.now(), ready, capacity: CAPACITY, allocatable: ALLOCATABLE, message });
  return {
    actor,
    clock,
    effects,
    heartbeat: (ready = true, message?: string) => actor.send({ type: 'node.heartbeat', ...report(ready, message) }),
    statusReported: (ready: boolean, message?: string) => actor.send({ type: 'node.statusReported', ...report(ready, message) }),
    conditions: () => nodeConditions(actor.getSnapshot().context, nodeViewOf(actor.getSnapshot())),
    ready: () => nodeConditions(actor.getSnapshot().context, nodeViewOf(actor.getSnapshot()))[0],
    reasons: () => (effects.paramsOf('recordEvent') as NodeEventRecord[]).map((e) => e.reason),
    /** The Node's taint keys after every taint effect so far, starting from `initial`. */
    taints: (initial: string[] = []) => {
      const keys = new Set(initial);
      for (const c of effects.calls) {
        if (c.effect === 'taint') keys.add((c.params as NodeEffectParams['taint']).key);
        if (c.effect === 'untaint') keys.delete((c.params as NodeEffectParams['untaint']).key);
      }
      return [...keys].sort();
    },
  };
}

const REACHABLE_READY = { running: { reachable: { daemon: 'ready', heartbeats: 'arriving' } } };
const REACHABLE_NOT_READY = { running: { reachable: { daemon: 'notReady', heartbeats: 'arriving' } } };

describe('node machine', () => {
  it('is pending with Ready Unknown until the first heartbeat, then Running and Ready', () => {
    const node = startNode();
    expect(node.actor.getSnapshot().value).toBe('pending');
    expect(node.ready()).toMatchObject({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated' });
    node.heartbeat();
    expect(node.actor.getSnapshot().value).toEqual(REACHABLE_READY);
    expect(node.ready()).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      lastHeartbeatTime: '2024-01-01T00:00:00Z',
      lastTransitionTime: '2024-01-01T00:00:00Z',
    });
    expect(node.conditions()[1]).toMatchObject({ type: 'Reachable', status: 'True' });
    expect(nodeStatus(node.actor.getSnapshot().context, nodeViewOf(node.actor.getSnapshot()))).toMatchObject({ capacity: CAPACITY, allocatable: ALLOCATABLE });
    expect(node.reasons()).toEqual(['NodeReady']);
    expect(node.taints()).toEqual([]);
    expect(node.effects.paramsOf('taint')).toEqual([]);
  });

  it('puts right the taints a previous leader left: the first state reached sets its own', () => {
    const stale = [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE];
    const back = startNode();
    back.heartbeat();
    expect(back.taints(stale)).toEqual([]);
    const gone = startNode();
    gone.clock.increment(40 * S);
    expect(gone.taints(stale)).toEqual([TAINT_NODE_UNREACHABLE]);
  });

  it('marks a node that never sent a heartbeat Unknown after the grace (conditions written, tainted), then fails its pods', () => {
    const node = startNode();
    node.clock.increment(40 * S - 1);
    expect(node.actor.getSnapshot().value).toBe('pending');
    node.clock.increment(1);
    expect(node.actor.getSnapshot().value).toEqual({ running: { unreachable: 'grace' } });
    expect(node.ready()).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', lastTransitionTime: '2024-01-01T00:00:40Z' });
    const [written] = node.effects.paramsOf('writeConditions') as NodeEffectParams['writeConditions'][];
    expect(written?.conditions).toEqual(node.conditions());
    expect(node.effects.paramsOf('taint')).toEqual([{ nodeName: 'node-1', key: TAINT_NODE_UNREACHABLE, effects: ['NoSchedule', 'NoExecute'] }]);
    node.clock.increment(300 * S);
    expect(node.actor.getSnapshot().value).toEqual({ running: { unreachable: 'lost' } });
    expect(node.effects.paramsOf('failPods')).toEqual([{ nodeName: 'node-1' }]);
  });

  it('a daemon reporting itself not ready is Ready False and tainted not-ready, until it reports ready', () => {
    const node = startNode();
    node.heartbeat(false, 'container runtime is down');
    expect(node.actor.getSnapshot().value).toEqual(REACHABLE_NOT_READY);
    expect(node.ready()).toMatchObject({ status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down' });
    expect(node.conditions()[1]).toMatchObject({ type: 'Reachable', status: 'True' });
    expect(node.effects.paramsOf('taint')).toEqual([{ nodeName: 'node-1', key: TAINT_NODE_NOT_READY, effects: ['NoSchedule', 'NoExecute'] }]);
    expect(node.taints()).toEqual([TAINT_NODE_NOT_READY]);
    node.heartbeat(false, 'container runtime is down'); // renews: nothing new
    node.heartbeat(true);
    expect(node.ready()?.status).toBe('True');
    expect(node.reasons()).toEqual(['NodeNotReady', 'NodeReady']);
    expect((node.effects.paramsOf('recordEvent')[0] as NodeEventRecord).message).toBe('Node node-1 status is now: NodeNotReady (container runtime is down)');
    expect(node.taints()).toEqual([]);
    expect(node.effects.paramsOf('writeConditions')).toEqual([]);
  });

  it('a report on the Node changes Ready while reachable, without renewing the grace; it is ignored while unreachable', () => {
    const node = startNode();
    node.heartbeat();
    node.clock.increment(30 * S);
    node.statusReported(false, 'network not ready');
    expect(node.actor.getSnapshot().value).toEqual(REACHABLE_NOT_READY);
    expect(node.ready()).toMatchObject({ status: 'False', message: 'network not ready', lastTransitionTime: '2024-01-01T00:00:30Z' });
    expect(node.taints()).toEqual([TAINT_NODE_NOT_READY]);
    node.clock.increment(10 * S); // 40 s after the only heartbeat
    expect(node.actor.getSnapshot().value).toEqual({ running: { unreachable: 'grace' } });
    node.statusReported(true);
    expect(node.actor.getSnapshot().value).toEqual({ running: { unreachable: 'grace' } });
    // not-ready is swapped for unreachable, as Kubernetes swaps them.
    expect(node.taints()).toEqual([TAINT_NODE_UNREACHABLE]);
  });

  it('goes Unknown exactly one grace after the last heartbeat; heartbeats reset the grace', () => {
    const node = startNode();
    node.heartbeat();
    node.clock.increment(30 * S);
    node.heartbeat(); // renews: records nothing
    expect(node.reasons()).toEqual(['NodeReady']);
    node.clock.increment(40 * S - 1);
    expect(node.ready()?.status).toBe('True');
    node.clock.increment(1);
    expect(node.actor.getSnapshot().value).toEqual({ running: { unreachable: 'grace' } });
    expect(node.ready()).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      lastHeartbeatTime: '2024-01-01T00:00:30Z',
      lastTransitionTime: '2024-01-01T00:01:10Z',
    });
    expect(node.conditions()[1]).toMatchObject({ type: 'Reachable', status: 'False', lastTransitionTime: '2024-01-01T00:01:10Z' });
    expect(node.reasons()).toEqual(['NodeReady', 'NodeNotReady']);
    expect(node.effects.paramsOf('failPods')).toEqual([]);
  });

  it('fails its pods once, a second grace after Unknown, and recovers (taint gone) when heartbeats return', () => {
    const node = startNode();
    node.heartbeat();
    node.clock.increment(40 * S);
    node.clock.increment(300 * S - 1);
    expect(node.effects.paramsOf('failPods')).toEqual([]);
    node.clock.increment(1);
    expect(node.effects.paramsOf('failPods')).toEqual([{ nodeName: 'node-1' }]);
    expect(node.actor.getSnapshot().value).toEqual({ running: { unreachable: 'lost' } });
    expect(node.reasons().at(-1)).toBe('NodeLost');
    node.clock.increment(3600 * S);
    expect(node.effects.paramsOf('failPods')).toHaveLength(1);
    node.heartbeat();
    expect(node.actor.getSnapshot().value).toEqual(REACHABLE_READY);
    expect(node.ready()).toMatchObject({ status: 'True', lastTransitionTime: '2024-01-01T01:05:40Z' });
    expect(node.conditions()[1]).toMatchObject({ status: 'True', lastTransitionTime: '2024-01-01T01:05:40Z' });
    expect(node.taints()).toEqual([]);
    expect((node.effects.paramsOf('taint') as NodeEffectParams['taint'][]).map((t) => t.key)).toEqual([TAINT_NODE_UNREACHABLE]);
    expect(node.reasons()).toEqual(['NodeReady', 'NodeNotReady', 'NodeLost', 'NodeReady']);
  });

  it('a connection-lost hint shortens nothing; it is the reason given when the grace runs out, and a heartbeat forgets it', () => {
    const node = startNode();
    node.heartbeat();
    node.actor.send({ type: 'node.connectionLost', at: node.clock.now(), master: 'm1' });
    // A node that moved to another master: the next heartbeat forgets the hint.
    node.clock.increment(1 * S);
    node.heartbeat();
    node.actor.send({ type: 'node.connectionLost', at: node.clock.now(), master: 'm2' });
    node.clock.increment(40 * S - 1);
    expect(node.actor.getSnapshot().value).toEqual(REACHABLE_READY);
    node.clock.increment(1);
    expect(node.actor.getSnapshot().matches({ running: 'unreachable' })).toBe(true);
    expect(node.conditions()[1]).toMatchObject({
      type: 'Reachable',
      status: 'False',
      reason: 'ConnectionLost',
      message: 'No heartbeat for 40s; its connection to master m2 closed at 2024-01-01T00:00:01.000Z.',
    });
    const notReady = (node.effects.paramsOf('recordEvent') as NodeEventRecord[]).at(-1);
    expect(notReady?.message).toBe('Node node-1 status is now: NodeNotReady: no heartbeat for 40s; its connection to master m2 closed at 2024-01-01T00:00:01.000Z');
    // Back, then silent without a hint: the plain reason.
    node.heartbeat();
    node.clock.increment(40 * S);
    expect(node.conditions()[1]).toMatchObject({ reason: 'HeartbeatsMissing', message: 'No heartbeat for 40s.' });
  });

  it('terminates from any state, deletes its pods and accepts nothing after', () => {
    const prepare = [() => {}, (n: ReturnType<typeof startNode>) => n.heartbeat(), (n: ReturnType<typeof startNode>) => n.clock.increment(40 * S)];
    for (const before of prepare) {
      const node = startNode();
      before(node);
      node.actor.send({ type: 'node.terminate', at: node.clock.now() });
      const snapshot = node.actor.getSnapshot();
      expect(snapshot.value).toBe('terminated');
      expect(snapshot.status).toBe('done');
      expect(node.effects.paramsOf('deletePods')).toEqual([{ nodeName: 'node-1' }]);
      expect(node.reasons().at(-1)).toBe('RemovingNode');
      node.heartbeat();
      node.clock.increment(3600 * S);
      expect(node.actor.getSnapshot().value).toBe('terminated');
      expect(node.effects.paramsOf('failPods')).toEqual([]);
    }
  });
});
