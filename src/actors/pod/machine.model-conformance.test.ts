/**
 * The product model the model test explores (testing/system-model.ts) is honest: on random walks
 * of facts and timer firings, a real actor system (the pod actor, its container actors and their
 * probers, on a SimulatedClock) and the model pass through the same states, with the same
 * contexts, children and effects in the same order.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock, type AnyActorRef, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { childrenOf, machineAt, systemModel, type SystemEvent, type SystemSnapshot } from '../testing/system-model.ts';
import { containerActorId } from './container-events.ts';
import { containerMachine } from './container-machine.ts';
import type { PodMachineEvent, PodMachineInput, RestartPolicy } from './events.ts';
import { podMachine } from './machine.ts';
import type { ContainerProbe } from './probe-spec.ts';
import { proberMachine, type ProberEvent, type ProbeRunInput } from './prober.ts';

const EFFECTS = ['createSandbox', 'startContainer', 'stopContainer', 'stopSandbox', 'removePod', 'recordEvent', 'reportStatus'] as const;

function probe(overrides: Partial<ContainerProbe> = {}): ContainerProbe {
  return { handler: { type: 'exec', command: ['true'] }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 2, ...overrides };
}

function input(policy: RestartPolicy): PodMachineInput {
  return {
    namespace: 'ns',
    name: 'p',
    uid: 'u',
    nodeName: 'n1',
    restartPolicy: policy,
    terminationGracePeriodSeconds: 30,
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [
      { name: 'a', image: 'busybox', probes: { startup: probe(), liveness: probe(), readiness: probe() } },
      { name: 'b', image: 'busybox' },
    ],
  };
}

function alphabet(): PodMachineEvent[] {
  const facts: PodMachineEvent[] = [{ type: 'sandbox.created', at: 0, podIP: '10.0.0.1' }, { type: 'sandbox.failed', at: 0, message: 'x' }];
  for (const name of ['init', 'a', 'b']) {
    facts.push(
      { type: 'image.pulled', name, at: 0 },
      { type: 'image.pullFailed', name, at: 0, message: 'nope' },
      { type: 'container.created', name, at: 0, containerID: `docker://${name}` },
      { type: 'container.started', name, at: 0 },
      { type: 'container.exited', name, at: 0, exitCode: 0 },
      { type: 'container.exited', name, at: 0, exitCode: 1 },
    );
  }
  for (const kind of ['startup', 'liveness', 'readiness'] as const) {
    facts.push({ type: 'probe.succeeded', name: 'a', kind, at: 0 }, { type: 'probe.failed', name: 'a', kind, at: 0, message: 'no' });
  }
  return facts;
}

/** The facts that end a pod: rare in a walk, so walks also get far into its life. */
const ENDINGS: PodMachineEvent[] = [
  { type: 'volume.failed', at: 0, message: 'disk' },
  { type: 'node.lost', at: 0 },
  { type: 'node.fenced', at: 0, message: 'fenced' },
  { type: 'pod.delete', at: 0 },
  { type: 'pod.delete', at: 0, gracePeriodSeconds: 0 },
];

/** A small seeded generator (mulberry32), so a failing walk can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function realSystem(policy: RestartPolicy) {
  const clock = new SimulatedClock();
  clock.set(0);
  const effects = createEffectRecorder(EFFECTS);
  const machine = podMachine.provide({
    actions: effects.actions,
    actors: {
      container: containerMachine.provide({
        actors: { prober: proberMachine.provide({ actors: { runProbe: fromCallback<ProberEvent, ProbeRunInput>(() => {}) } }) },
      }),
    },
  });
  const actor = createActor(machine, { input: input(policy), clock });
  actor.start();
  return { actor, clock, effects };
}

function view(snapshot: AnyMachineSnapshot) {
  return { value: snapshot.value, context: snapshot.context as unknown, children: Object.keys(snapshot.children).sort() };
}

/** An actor's path as the model names it: its ids from the root's child down. */
function pathOf(ref: AnyActorRef): string {
  const parent = (ref as unknown as { _parent?: AnyActorRef })._parent;
  return parent ? `${pathOf(parent)}/${ref.id}` : '';
}

/** The timers pending in the real system, as the model keys them (probers' own are left out: they are opaque there). */
function realTimers(actor: AnyActorRef): string[] {
  const scheduled = (actor.system as unknown as { getSnapshot(): { _scheduledEvents: Record<string, { source: AnyActorRef; id: string }> } }).getSnapshot()._scheduledEvents;
  return Object.values(scheduled)
    .map((t) => `${pathOf(t.source)}#${t.id}`)
    .filter((key) => !key.includes('/probe:'))
    .sort();
}

function topState(value: unknown): string {
  return typeof value === 'string' ? value : Object.keys(value as object)[0]!;
}

describe('the system model matches real actors', () => {
  it.each(['Always', 'OnFailure', 'Never'] as const)('%s: 60 random walks of 80 steps', (policy) => {
    const facts = alphabet();
    const visited = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const next = random(seed);
      const real = realSystem(policy);
      const model = systemModel(podMachine, input(policy), { interpret: ['container'] });
      let state: SystemSnapshot = model.getInitialSnapshot();
      const steps: string[] = [];
      const compare = () => {
        const where = `seed ${seed}, after ${steps.join(' → ')}`;
        const pod = real.actor.getSnapshot();
        expect(view(machineAt(state, '')), where).toEqual({ ...view(pod), children: childrenOf(state, '') });
        for (const name of ['init', 'a', 'b']) {
          const child = (pod.children as Record<string, AnyActorRef>)[containerActorId(name)]!.getSnapshot() as AnyMachineSnapshot;
          const path = `/${containerActorId(name)}`;
          expect({ ...view(machineAt(state, path)), children: childrenOf(state, path) }, `${where}: container ${name}`).toEqual(view(child));
        }
        expect(state.effects.map((e) => [e.type, e.params]), where).toEqual(real.effects.calls.map((c) => [c.effect, c.params]));
        expect([...state.timers.keys()].sort(), `${where}: timers`).toEqual(realTimers(real.actor));
        real.effects.clear();
        visited.add(`pod:${topState(pod.value)}`);
        for (const name of ['init', 'a', 'b']) visited.add(`${name}:${topState(machineAt(state, `/${containerActorId(name)}`).value)}`);
      };
      compare();
      for (let step = 0; step < 80; step++) {
        // A single pending timer fires as the clock would fire it; else a fact arrives.
        const timers = [...state.timers.keys()];
        const fire = timers.length === 1 && next() < 0.3;
        let event: SystemEvent;
        if (fire) {
          event = { type: 'fire', timer: timers[0]! };
          real.clock.increment(600_000);
          steps.push(`fire ${timers[0]}`);
        } else {
          const pool = next() < 0.03 ? ENDINGS : facts;
          const fact = pool[Math.floor(next() * pool.length)]!;
          event = { type: 'deliver', to: '', event: fact as EventObject };
          real.actor.send(fact);
          steps.push(`${fact.type}${'name' in fact ? `(${fact.name})` : ''}`);
        }
        state = model.transition(state, event);
        compare();
      }
      real.actor.stop();
    }
    // The walks went through the lifecycle, not around its start.
    for (const reached of ['pod:running', 'pod:failed', 'pod:terminating', 'a:running', 'a:stopped', 'a:pullBackOff', 'init:running']) {
      expect(visited, reached).toContain(reached);
    }
    expect(visited).toContain(policy === 'Never' ? 'b:terminated' : 'a:backOff');
  });
});
