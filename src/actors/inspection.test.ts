/** The inspection bus: every machine actor of an object (its own, spawned and invoked children) becomes TransitionRecords. */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, sendTo, setup, spawnChild } from 'xstate';
import { statePathToValue } from '../api/transition.ts';
import { InspectionBus, stateValueToString, type ActorIdentity, type TransitionRecord } from './inspection.ts';

const probe = setup({}).createMachine({
  id: 'probe',
  initial: 'idle',
  states: { idle: { on: { tick: 'probing' } }, probing: { on: { tick: 'idle' } } },
});

const container = setup({ actors: { probe, effect: fromPromise(async () => 'done') } }).createMachine({
  id: 'container',
  initial: 'waiting',
  states: {
    waiting: { on: { start: 'running' } },
    running: {
      type: 'parallel',
      // A promise actor has no states: nothing is published for it.
      invoke: [{ id: 'probe:liveness', src: 'probe' }, { id: 'effect', src: 'effect' }],
      on: { tick: { actions: sendTo('probe:liveness', { type: 'tick' }) }, stop: 'stopped' },
      states: {
        health: { initial: 'live', states: { live: {} } },
        readiness: { initial: 'ready', states: { ready: {} } },
      },
    },
    stopped: { on: { start: 'running' } },
  },
});

const pod = setup({ actors: { container } }).createMachine({
  id: 'pod',
  initial: 'pending',
  entry: spawnChild('container', { id: 'container:app' }),
  states: { pending: { on: { go: 'running' } }, running: {} },
});

describe('InspectionBus.inspectorFor', () => {
  it('publishes the object\'s actor and its machine children with their id paths; from is \'\' for a first state', () => {
    const bus = new InspectionBus();
    const seen: TransitionRecord[] = [];
    bus.subscribe((r) => seen.push(r));
    const identity: ActorIdentity = { kind: 'Pod', namespace: 'ns', name: 'web', uid: 'u1', labels: { app: 'web' } };
    const actor = createActor(pod, { inspect: bus.inspectorFor(identity, () => new Date(0)) }).start();
    const child = actor.getSnapshot().children['container:app']!;
    actor.send({ type: 'go' });
    identity.labels = { app: 'web', tier: 'front' };
    child.send({ type: 'start' });
    child.send({ type: 'tick' });
    child.send({ type: 'stop' });
    child.send({ type: 'start' });
    const line = (r: TransitionRecord) => `${r.actor || '.'} ${r.from || '∅'} -> ${r.to} (${r.event})`;
    expect(seen.map(line)).toEqual([
      'container:app ∅ -> waiting (xstate.init)',
      '. ∅ -> pending (xstate.init)',
      '. pending -> running (go)',
      // The container enters running (its microstep), which starts the prober.
      'container:app waiting -> running.health.live|running.readiness.ready (start)',
      'container:app/probe:liveness ∅ -> idle (xstate.init)',
      'container:app/probe:liveness idle -> probing (tick)',
      'container:app running.health.live|running.readiness.ready -> stopped (stop)',
      // A new prober under the same id: a new actor, from its first state.
      'container:app stopped -> running.health.live|running.readiness.ready (start)',
      'container:app/probe:liveness ∅ -> idle (xstate.init)',
    ]);
    expect(seen[0]).toMatchObject({ kind: 'Pod', namespace: 'ns', name: 'web', uid: 'u1', time: new Date(0).toISOString(), labels: { app: 'web' } });
    // Labels are read at each transition.
    expect(seen.at(-1)!.labels).toEqual({ app: 'web', tier: 'front' });
    actor.stop();
  });

  it('publishes each state a step passes through: a transient state left by an eventless transition too', () => {
    const restarting = setup({}).createMachine({
      id: 'c',
      initial: 'running',
      states: {
        running: { on: { exited: 'restarting' } },
        restarting: { always: 'starting' },
        starting: { on: { started: 'running' } },
      },
    });
    const bus = new InspectionBus();
    const seen: string[] = [];
    bus.subscribe((r) => seen.push(`${r.from || '∅'} -> ${r.to} (${r.event})`));
    const actor = createActor(restarting, { inspect: bus.inspectorFor({ kind: 'Pod', name: 'p', uid: 'u' }) }).start();
    actor.send({ type: 'exited' });
    actor.send({ type: 'started' });
    expect(seen).toEqual(['∅ -> running (xstate.init)', 'running -> restarting (exited)', 'restarting -> starting (exited)', 'starting -> running (started)']);
    actor.stop();
  });

  it('gives cluster-scoped objects namespace \'\' and leaves out empty labels', () => {
    const bus = new InspectionBus();
    const seen: TransitionRecord[] = [];
    bus.subscribe((r) => seen.push(r));
    createActor(probe, { inspect: bus.inspectorFor({ kind: 'Node', name: 'n1', uid: 'u', labels: {} }) }).start();
    expect(seen).toEqual([expect.objectContaining({ kind: 'Node', namespace: '', actor: '', to: 'idle' })]);
    expect(seen[0]!.labels).toBeUndefined();
  });
});

describe('state paths', () => {
  it('writes every active leaf in full, and reads back to the same state value', () => {
    const cases = [
      'idle',
      { running: 'backoff' },
      { a: 'x', b: { c: 'y' } },
      { running: { reachable: { daemon: 'ready', heartbeats: 'arriving' } } },
      { running: { health: 'live', readiness: { probed: 'ready' } } },
    ] as const;
    expect(cases.map((v) => stateValueToString(v))).toEqual([
      'idle',
      'running.backoff',
      'a.x|b.c.y',
      'running.reachable.daemon.ready|running.reachable.heartbeats.arriving',
      'running.health.live|running.readiness.probed.ready',
    ]);
    for (const v of cases) expect(statePathToValue(stateValueToString(v))).toEqual(v);
    expect(statePathToValue('')).toBeUndefined();
  });
});
