import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { __unsafe_getAllOwnEventDescriptors, createActor, SimulatedClock, transition, type SnapshotFrom } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { nodeConditions, nodeStatus } from './conditions.ts';
import { readyStatus } from './context.ts';
import type { NodeEventRecord, NodeMachineEvent, NodeMachineInput } from './events.ts';
import { nodeMachine } from './machine.ts';

const T0 = Date.UTC(2024, 0, 1);
const S = 1000;
const INPUT: NodeMachineInput = { name: 'node-1', notReadyGraceMs: 40 * S, podFailGraceMs: 300 * S };
const CAPACITY = { cpu: '2', memory: '8Gi', pods: '110' };
const ALLOCATABLE = { cpu: '1900m', memory: '7Gi', pods: '110' };

function startNode() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const effects = createEffectRecorder(['recordEvent', 'failPods', 'deletePods'] as const);
  const actor = createActor(nodeMachine.provide({ actions: effects.actions }), { input: { ...INPUT, registeredAt: T0 }, clock });
  actor.start();
  return {
    actor,
    clock,
    effects,
    heartbeat: (ready = true, message?: string) =>
      actor.send({ type: 'node.heartbeat', at: clock.now(), ready, capacity: CAPACITY, allocatable: ALLOCATABLE, message }),
    ready: () => nodeConditions(actor.getSnapshot().context)[0],
    reasons: () => (effects.paramsOf('recordEvent') as NodeEventRecord[]).map((e) => e.reason),
  };
}

describe('node machine', () => {
  it('is pending with Ready Unknown until the first heartbeat, then Running and Ready', () => {
    const node = startNode();
    expect(node.actor.getSnapshot().value).toBe('pending');
    expect(node.ready()).toMatchObject({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated' });
    node.heartbeat();
    expect(node.actor.getSnapshot().value).toEqual({ running: 'reachable' });
    expect(node.ready()).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      lastHeartbeatTime: '2024-01-01T00:00:00Z',
      lastTransitionTime: '2024-01-01T00:00:00Z',
    });
    expect(nodeStatus(node.actor.getSnapshot().context)).toMatchObject({ capacity: CAPACITY, allocatable: ALLOCATABLE });
    expect(node.reasons()).toEqual(['NodeReady']);
  });

  it('marks a node that never sent a heartbeat NotReady after the grace, then fails its pods', () => {
    const node = startNode();
    node.clock.increment(40 * S - 1);
    expect(node.actor.getSnapshot().value).toBe('pending');
    node.clock.increment(1);
    expect(node.actor.getSnapshot().value).toEqual({ running: 'unreachable' });
    expect(node.ready()).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', lastTransitionTime: '2024-01-01T00:00:40Z' });
    node.clock.increment(300 * S);
    expect(node.actor.getSnapshot().value).toEqual({ running: 'lost' });
    expect(node.effects.paramsOf('failPods')).toEqual([{ nodeName: 'node-1' }]);
  });

  it('reports Ready False when the daemon says its runtime is down', () => {
    const node = startNode();
    node.heartbeat(false, 'container runtime is down');
    expect(node.ready()).toMatchObject({ status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down' });
    expect(nodeConditions(node.actor.getSnapshot().context)[1]).toMatchObject({ type: 'Reachable', status: 'True' });
    node.heartbeat(true);
    expect(node.ready()?.status).toBe('True');
    expect(node.reasons()).toEqual(['NodeNotReady', 'NodeReady']);
  });

  it('goes NotReady (Unknown) exactly one grace after the last heartbeat; heartbeats reset the grace', () => {
    const node = startNode();
    node.heartbeat();
    node.clock.increment(30 * S);
    node.heartbeat(); // renews: records nothing
    expect(node.reasons()).toEqual(['NodeReady']);
    node.clock.increment(40 * S - 1);
    expect(node.ready()?.status).toBe('True');
    node.clock.increment(1);
    expect(node.actor.getSnapshot().value).toEqual({ running: 'unreachable' });
    expect(node.ready()).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      lastHeartbeatTime: '2024-01-01T00:00:30Z',
      lastTransitionTime: '2024-01-01T00:01:10Z',
    });
    expect(nodeConditions(node.actor.getSnapshot().context)[1]).toMatchObject({ type: 'Reachable', status: 'False' });
    expect(node.reasons()).toEqual(['NodeReady', 'NodeNotReady']);
    expect(node.effects.paramsOf('failPods')).toEqual([]);
  });

  it('fails its pods once, a second grace after NotReady, and recovers when heartbeats return', () => {
    const node = startNode();
    node.heartbeat();
    node.clock.increment(40 * S);
    node.clock.increment(300 * S - 1);
    expect(node.effects.paramsOf('failPods')).toEqual([]);
    node.clock.increment(1);
    expect(node.effects.paramsOf('failPods')).toEqual([{ nodeName: 'node-1' }]);
    expect(node.actor.getSnapshot().value).toEqual({ running: 'lost' });
    expect(node.reasons().at(-1)).toBe('NodeLost');
    node.clock.increment(3600 * S);
    expect(node.effects.paramsOf('failPods')).toHaveLength(1);
    node.heartbeat();
    expect(node.actor.getSnapshot().value).toEqual({ running: 'reachable' });
    expect(node.ready()?.status).toBe('True');
  });

  it('terminates from any state, deletes its pods and accepts nothing after', () => {
    for (const prepare of [() => {}, (n: ReturnType<typeof startNode>) => n.heartbeat()]) {
      const node = startNode();
      prepare(node);
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

describe('node machine model (@xstate/graph)', () => {
  type NodeSnapshot = SnapshotFrom<typeof nodeMachine>;
  // Heartbeats carry `at: 0` and fixed resources, so the reachable graph is finite; no bound needed.
  const ALPHABET: NodeMachineEvent[] = [
    { type: 'node.heartbeat', at: 0, ready: true, capacity: CAPACITY, allocatable: ALLOCATABLE },
    { type: 'node.heartbeat', at: 0, ready: false, capacity: CAPACITY, allocatable: ALLOCATABLE, message: 'runtime down' },
    { type: 'node.terminate', at: 0 },
  ];
  const delayed = (state: NodeSnapshot) =>
    __unsafe_getAllOwnEventDescriptors(state)
      .filter((type) => type.startsWith('xstate.after.'))
      .map((type) => ({ type }) as unknown as NodeMachineEvent);

  it('holds its invariants on every reachable edge', () => {
    const edges = adjacencyMapToArray(
      getAdjacencyMap(nodeMachine, { input: INPUT, events: (state) => [...ALPHABET, ...delayed(state)], limit: 10_000 }),
    );
    const values = new Set<string>();
    for (const { state, event } of edges) {
      const [next, actions] = transition(nodeMachine, state, event);
      const where = `${JSON.stringify(state.value)} + ${event.type}`;
      values.add(JSON.stringify(state.value)).add(JSON.stringify(next.value));
      if (state.status === 'done') {
        expect(next.context, where).toEqual(state.context);
        expect(actions, where).toEqual([]);
      }
      if (actions.some((a) => a.type === 'failPods')) expect(state.matches({ running: 'unreachable' }), where).toBe(true);
      const changed =
        JSON.stringify(next.value) !== JSON.stringify(state.value) || readyStatus(next.context) !== readyStatus(state.context);
      if (changed) expect(actions.some((a) => a.type === 'recordEvent'), where).toBe(true);
      if (next.matches({ running: 'reachable' })) expect(readyStatus(next.context), where).not.toBe('Unknown');
      if (next.matches({ running: 'unreachable' }) || next.matches({ running: 'lost' })) {
        expect(readyStatus(next.context), where).toBe('Unknown');
      }
    }
    expect([...values].sort()).toEqual(
      ['"pending"', '"terminated"', '{"running":"lost"}', '{"running":"reachable"}', '{"running":"unreachable"}'].sort(),
    );
  });
});
