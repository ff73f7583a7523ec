/**
 * Model test: @xstate/graph explores every state the replica machine reaches from an alphabet of
 * observations (desired 0 or 2 replicas, 0–3 active pods, expectations met or not, owner deleting
 * or not), effect outcomes (done, failed, rejected) and timers, and the invariants below are
 * checked on every edge, replayed with the pure `transition()` to see the actions it ran.
 *
 * The alphabet is finite and the context only ever holds the last observation and the outcome of
 * one round, so the graph is finite without a bound. The burst limit is 1, so a round acting on
 * two missing or extra pods is visibly capped.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import type { KubeObject } from '../../api/object.ts';
import { replicaSpec } from './replica-kind.ts';
import { actionsNamed, childInput, createReplayer, delayedEvents, doneEvent, errorEvent } from '../testing/machine-replay.ts';
import { replicaMachine, type CreatePodsInput, type DeletePodsInput, type ReplicaEvent, type ReplicaMachineInput, type WriteStatusInput } from './machine.ts';
import { observed, owner, pods, T0 } from './machine-fixtures.ts';

type Snapshot = SnapshotFrom<typeof replicaMachine>;

const BURST = 1;
const INPUT: ReplicaMachineInput = { key: 'rs/default/web', owner: owner(2), burstReplicas: BURST, expectationsTimeoutMs: 1000 };
const EFFECTS = ['createPods', 'deletePods', 'writeStatus'] as const;

function observations(): ReplicaEvent[] {
  const events: ReplicaEvent[] = [];
  for (const desired of [0, 2]) {
    for (const active of [0, 1, 2, 3]) {
      for (const expectationsMet of [true, false]) events.push(observed(owner(desired), pods(active, T0 - 60_000), { expectationsMet }));
    }
  }
  events.push(observed(owner(2, { deleting: true }), pods(1)), observed(owner(0, { deleting: true }), pods(3)));
  return events;
}

/**
 * What the effects may answer; each is only sent while its effect runs (the round is open and the
 * child is there), as only a running child answers, and once.
 */
function outcomes(): ReplicaEvent[] {
  return [
    doneEvent('createPods', { created: 1 }),
    doneEvent('createPods', { created: 0, error: 'quota exceeded' }),
    errorEvent('createPods', new Error('crashed')),
    doneEvent('deletePods', { notDeleted: [] }),
    doneEvent('deletePods', { notDeleted: ['pod-0'], error: 'forbidden' }),
    errorEvent('deletePods', new Error('crashed')),
    doneEvent('writeStatus', undefined),
    errorEvent('writeStatus', new Error('conflict')),
  ] as unknown as ReplicaEvent[];
}

const effectOf = (e: { type: string }): string | undefined => /^xstate\.(?:done|error)\.actor\.(.+)$/.exec(e.type)?.[1];

const isObservation = (e: { type: string }): e is ReplicaEvent => e.type === 'replicas.observed';
const desiredOf = (o: KubeObject): number => replicaSpec(o).replicas;
/** Effects this edge started (a child that is new, or replaced by re-entering its state). */
const startedEffects = (s: Snapshot, next: Snapshot): string[] => EFFECTS.filter((id) => next.children[id] !== undefined && next.children[id] !== s.children[id]);
const describeEdge = (s: Snapshot, e: { type: string }): string => `${JSON.stringify(s.value)} + ${e.type} (${JSON.stringify({ pods: s.context.pods.replicas, pending: s.context.pending })})`;

describe('replica machine model (@xstate/graph)', () => {
  it('invariants hold on every reachable edge', () => {
    const facts = observations();
    const answers = outcomes();
    const events = (s: Snapshot): ReplicaEvent[] => [...facts, ...answers.filter((e) => s.context.pending && s.children[effectOf(e) ?? ''] !== undefined), ...delayedEvents<ReplicaEvent>(s)];
    const edges = adjacencyMapToArray(getAdjacencyMap(replicaMachine, { input: INPUT, events, limit: 100_000 }));
    const replay = createReplayer(replicaMachine, INPUT);
    const violations: string[] = [];
    const visited = new Set<string>();
    const seen = { creates: 0, deletes: 0, failedRounds: 0, closedRounds: 0, syncRequests: 0, waitsWithUnmetExpectations: 0 };

    for (const { state, event } of edges) {
      const [next, actions] = replay(state, event);
      const check = (holds: boolean, invariant: string) => {
        if (!holds) violations.push(`${invariant}: ${describeEdge(state, event)}`);
      };
      visited.add(JSON.stringify(state.value)).add(JSON.stringify(next.value));
      const c = next.context;
      const started = startedEffects(state, next);
      const answered = effectOf(event);

      check(next.status === 'active', 'the machine stopped or errored');
      // Rounds: an observation opens one by starting one effect; an effect's answer closes it or
      // starts the next effect; nothing else starts an effect or closes a round.
      check(started.length <= 1, 'more than one effect started at once');
      if (isObservation(event)) check(c.pending && started.length === 1, 'an observation did not open a round with an effect');
      else if (answered) check(c.pending === (started.length === 1), 'an effect answered and the round neither closed nor went on to one effect');
      else check(started.length === 0 && c.pending === state.context.pending, 'a timer started an effect or touched the round');
      if (state.context.pending && !c.pending) {
        seen.closedRounds++;
        if (c.roundError !== undefined) seen.failedRounds++;
        check(c.roundError === undefined || next.matches({ scaling: 'failing' }) || answered === 'writeStatus', 'a round failed without a failed create, delete or status write');
        check(c.roundError !== undefined || !next.matches({ scaling: 'failing' }), 'a failing round closed as a success (the work queue would not retry it)');
      }

      // Creates: only by a guard's choice on a fresh observation, expected first, capped by the burst.
      const expectedCreates = actionsNamed<{ count: number }>(actions, 'expectCreations');
      const createStarted = next.children.createPods !== undefined && next.children.createPods !== state.children.createPods;
      check(createStarted === (expectedCreates.length === 1), 'a create round without expecting it first, or the reverse');
      if (createStarted && isObservation(event)) {
        seen.creates++;
        const want = Math.min(desiredOf(event.owner) - event.pods.replicas, BURST);
        check(event.expectationsMet && !event.owner.metadata?.deletionTimestamp, 'created while creates/deletes were in flight or the owner was going');
        check(want > 0 && expectedCreates[0]?.count === want, 'expected another number of creates than missing (within the burst)');
        check(childInput<CreatePodsInput>(next, 'createPods')?.count === want, 'created another number than expected');
      }
      check(!createStarted || isObservation(event), 'a create started without a new observation');

      // Deletes: the same, and only pods the set controls, worst ranked first.
      const expectedDeletes = actionsNamed<{ uids: string[] }>(actions, 'expectDeletions');
      const deleteStarted = next.children.deletePods !== undefined && next.children.deletePods !== state.children.deletePods;
      check(deleteStarted === (expectedDeletes.length === 1), 'a delete round without expecting it first, or the reverse');
      if (deleteStarted && isObservation(event)) {
        seen.deletes++;
        const want = Math.min(event.pods.replicas - desiredOf(event.owner), BURST);
        const victims = childInput<DeletePodsInput>(next, 'deletePods')?.pods ?? [];
        check(event.expectationsMet && !event.owner.metadata?.deletionTimestamp, 'deleted while creates/deletes were in flight or the owner was going');
        check(want > 0 && victims.length === want, 'deleted another number than extra (within the burst)');
        check(JSON.stringify(expectedDeletes[0]?.uids) === JSON.stringify(victims.map((p) => p.metadata?.uid)), 'deleted other pods than expected');
        check(victims.every((v) => event.pods.list().some((p) => p.metadata?.uid === v.metadata?.uid)), 'deleted a pod the set does not control');
      }
      check(!deleteStarted || isObservation(event), 'a delete started without a new observation');

      // States say what is true.
      if (next.matches('steady')) check(c.pods.replicas === desiredOf(c.owner), 'steady with the wrong number of pods');
      if (next.matches('terminating')) check(Boolean(c.owner.metadata?.deletionTimestamp), 'terminating an owner that is not being deleted');
      if (next.matches({ scaling: 'awaitingPods' }) && isObservation(event)) {
        check(!event.expectationsMet, 'waited for the watch with nothing in flight');
        seen.waitsWithUnmetExpectations++;
      }

      // The status written is the set's: every active pod counted, ReplicaFailure exactly when failing.
      const status = childInput<WriteStatusInput>(next, 'writeStatus')?.status;
      if (status) {
        check(status.replicas === c.pods.replicas, 'the status counts other pods than observed');
        const failure = ((status.conditions as { type: string }[] | undefined) ?? []).some((k) => k.type === 'ReplicaFailure');
        check(failure === next.matches({ scaling: 'failing' }), 'ReplicaFailure without a failed round, or a failed round without it');
      }
      seen.syncRequests += actionsNamed(actions, 'requestSync').length;
    }

    expect(violations.slice(0, 5)).toEqual([]);
    // Not vacuous: every state, both effects, both round endings and the timers were reached.
    for (const v of ['"unobserved"', '"steady"', '"terminating"', '{"scaling":"creating"}', '{"scaling":"deleting"}', '{"scaling":"awaitingPods"}', '{"scaling":"failing"}']) expect(visited).toContain(v);
    expect(seen.creates).toBeGreaterThan(0);
    expect(seen.deletes).toBeGreaterThan(0);
    expect(seen.failedRounds).toBeGreaterThan(0);
    expect(seen.closedRounds).toBeGreaterThan(seen.failedRounds);
    expect(seen.syncRequests).toBeGreaterThan(0);
    expect(seen.waitsWithUnmetExpectations).toBeGreaterThan(0);
  });
});
