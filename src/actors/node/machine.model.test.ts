/**
 * Model test: @xstate/graph explores every state the node machine can reach from an event
 * alphabet (heartbeats and Node reports, ready or not, termination, and the two graces firing),
 * then every edge is replayed with xstate's pure `transition()` and its actions checked against
 * the rules that make the state the one source of truth:
 *
 * - the taints follow from the state: an edge into a state with another taint set (`not-ready`
 *   in `daemon.notReady`, `unreachable` in `unreachable`, none in `daemon.ready`) leaves exactly
 *   that set, starting from the source state's set, or from `pending` from whatever the Node
 *   carried (none, or both: a previous leader's); an edge within one taint state touches none;
 * - Ready follows from the state (True/False while reachable, Unknown otherwise), and every change
 *   of it records an Event, while a heartbeat that changes nothing records none;
 * - the Unknown conditions are written exactly on entering `unreachable`; pods are failed exactly
 *   on entering `lost`, deleted exactly on entering `terminated`; nothing leaves `terminated`.
 *
 * All events carry `at: 0`, so time adds no states and the graph is finite (no bound needed);
 * `limit` turns a runaway exploration into a failure. The walk must reach every state and take
 * every kind of effect, or it proves nothing.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { __unsafe_getAllOwnEventDescriptors, transition, type SnapshotFrom } from 'xstate';
import { readyStatusOf } from './conditions.ts';
import type { NodeEffectParams, NodeMachineEvent, NodeMachineInput } from './events.ts';
import { nodeMachine, nodeViewOf } from './machine.ts';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './taints.ts';

type NodeSnapshot = SnapshotFrom<typeof nodeMachine>;

const INPUT: NodeMachineInput = { name: 'node-1', notReadyGraceMs: 40_000, podFailGraceMs: 300_000, registeredAt: 0 };
const REPORT = { at: 0, capacity: { cpu: '2' }, allocatable: { cpu: '2' } };
const ALPHABET: NodeMachineEvent[] = [
  { type: 'node.heartbeat', ready: true, ...REPORT },
  { type: 'node.heartbeat', ready: false, message: 'runtime down', ...REPORT },
  { type: 'node.statusReported', ready: true, ...REPORT },
  { type: 'node.statusReported', ready: false, message: 'network down', ...REPORT },
  { type: 'node.connectionLost', at: 0, master: 'm1' },
  { type: 'node.terminate', at: 0 },
];

/** Delayed transitions (`after`) as events, so the explorer can fire them like the clock would. */
function delayedEvents(state: NodeSnapshot): NodeMachineEvent[] {
  return __unsafe_getAllOwnEventDescriptors(state)
    .filter((type) => type.startsWith('xstate.after.'))
    .map((type) => ({ type }) as unknown as NodeMachineEvent);
}

/** Which taint set a node in this state carries (pending: whatever it had; terminated: gone). */
function taintState(state: NodeSnapshot): string {
  if (state.matches({ running: { reachable: { daemon: 'notReady' } } })) return 'notReady';
  if (state.matches({ running: { reachable: { daemon: 'ready' } } })) return 'ready';
  if (state.matches({ running: 'unreachable' })) return 'unreachable';
  return String(state.value);
}

const TAINTS: Record<string, string[]> = { ready: [], notReady: [TAINT_NODE_NOT_READY], unreachable: [TAINT_NODE_UNREACHABLE] };

/** The taints left after `actions`, starting from `before`. */
function afterTaintActions(before: string[], actions: { type: string; params?: unknown }[]): string[] {
  const taints = new Set(before);
  for (const a of actions) {
    if (a.type === 'taint') taints.add((a.params as NodeEffectParams['taint']).key);
    if (a.type === 'untaint') taints.delete((a.params as NodeEffectParams['untaint']).key);
  }
  return [...taints].sort();
}

/** Ready's status and reason as the conditions render them for this state. */
function readyOf(state: NodeSnapshot): string {
  const view = nodeViewOf(state);
  return `${readyStatusOf(view)}/${view.reachability}`;
}

describe('node machine model (@xstate/graph)', () => {
  it('holds its invariants on every reachable edge', () => {
    const edges = adjacencyMapToArray(
      getAdjacencyMap(nodeMachine, { input: INPUT, events: (state) => [...ALPHABET, ...delayedEvents(state)], limit: 10_000 }),
    );
    const values = new Set<string>();
    const effectsSeen = new Set<string>();
    for (const { state, event } of edges) {
      const [next, actions] = transition(nodeMachine, state, event);
      const where = `${JSON.stringify(state.value)} + ${event.type}${'ready' in event ? `(${event.ready})` : ''} → ${JSON.stringify(next.value)}`;
      values.add(JSON.stringify(state.value)).add(JSON.stringify(next.value));
      for (const a of actions) effectsSeen.add(a.type);
      const named = (type: string) => actions.filter((a) => a.type === type);

      if (state.status === 'done') {
        expect(next.value, where).toEqual(state.value);
        expect(actions, where).toEqual([]);
        continue;
      }

      // Taints follow from the state, whatever the Node carried before.
      const wanted = TAINTS[taintState(next)];
      if (wanted && taintState(next) !== taintState(state)) {
        // From a taint state, the Node carries that state's set; from pending, anything at all.
        const known = TAINTS[taintState(state)];
        const befores = known ? [known] : [[], [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]];
        for (const before of befores) expect(afterTaintActions(before, actions), where).toEqual([...wanted].sort());
      } else if (taintState(next) !== 'terminated') {
        expect([...named('taint'), ...named('untaint')], where).toEqual([]);
      }
      for (const a of named('taint')) expect((a.params as NodeEffectParams['taint']).effects, where).toEqual(['NoSchedule', 'NoExecute']);

      // Ready follows from the state; a change records an Event, a mere renewal none.
      if (next.matches({ running: 'reachable' })) expect(readyStatusOf(nodeViewOf(next)), where).not.toBe('Unknown');
      if (next.matches({ running: 'unreachable' })) expect(readyStatusOf(nodeViewOf(next)), where).toBe('Unknown');
      if (readyOf(state) !== readyOf(next)) expect(named('recordEvent').length, where).toBeGreaterThan(0);
      if (JSON.stringify(state.value) === JSON.stringify(next.value)) expect(named('recordEvent'), where).toEqual([]);

      // Effects happen exactly on entering the state they belong to.
      const entering = (s: Parameters<NodeSnapshot['matches']>[0]) => next.matches(s) && !state.matches(s);
      expect(named('writeConditions').length, where).toBe(entering({ running: 'unreachable' }) ? 1 : 0);
      for (const a of named('writeConditions')) {
        expect((a.params as NodeEffectParams['writeConditions']).conditions[0], where).toMatchObject({ type: 'Ready', status: 'Unknown' });
      }
      expect(named('failPods').length, where).toBe(entering({ running: { unreachable: 'lost' } }) ? 1 : 0);
      expect(named('deletePods').length, where).toBe(entering('terminated') ? 1 : 0);
    }
    // Not vacuous: every state was reached and every kind of effect was asked for.
    expect([...values].sort()).toEqual(
      [
        '"pending"',
        '"terminated"',
        '{"running":{"reachable":{"daemon":"notReady","heartbeats":"arriving"}}}',
        '{"running":{"reachable":{"daemon":"ready","heartbeats":"arriving"}}}',
        '{"running":{"unreachable":"grace"}}',
        '{"running":{"unreachable":"lost"}}',
      ].sort(),
    );
    for (const effect of ['recordEvent', 'writeConditions', 'taint', 'untaint', 'failPods', 'deletePods']) expect(effectsSeen).toContain(effect);
    expect(edges.length).toBeGreaterThan(30);
  });
});
