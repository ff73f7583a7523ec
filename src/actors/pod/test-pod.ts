/**
 * A pod actor for machine tests: its named effects recorded (testing/effect-recorder.ts), a
 * SimulatedClock, facts stamped with the clock's time, and readers for its records of its
 * containers and for the container actors themselves.
 */
import { createActor, SimulatedClock, type AnyActorRef, type AnyMachineSnapshot } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import { containerActorId } from './container-events.ts';
import type { PodEffectParams, PodEventRecord, PodFactEvent, PodMachineInput, RestartPolicy } from './events.ts';
import { podMachine } from './machine.ts';

const EFFECTS = ['mountVolumes', 'createSandbox', 'startContainer', 'stopContainer', 'stopSandbox', 'removePod', 'recordEvent', 'reportStatus'] as const;
export const T0 = Date.UTC(2024, 0, 1);
export const S = 1000;
export const MIN = 60 * S;

type Fact<T extends PodFactEvent['type']> = Omit<Extract<PodFactEvent, { type: T }>, 'at'>;

/** A pod actor with recorded effects and a simulated clock; facts are stamped with the clock's time. */
export function startPod(restartPolicy: RestartPolicy, containers = ['app'], overrides: Partial<PodMachineInput> = {}) {
  const initContainers = overrides.initContainers ?? [];
  const clock = new SimulatedClock();
  clock.set(T0);
  const effects = createEffectRecorder(EFFECTS);
  const input: PodMachineInput = {
    namespace: 'default',
    name: 'web',
    uid: 'uid-1',
    nodeName: 'node-1',
    scheduledAt: T0,
    restartPolicy,
    terminationGracePeriodSeconds: 30,
    containers: containers.map((name) => ({ name, image: 'busybox:latest' })),
    ...overrides,
  };
  const actor = createActor(podMachine.provide({ actions: effects.actions }), { input, clock });
  actor.start();
  const send = <T extends PodFactEvent['type']>(fact: Fact<T> & { type: T }) =>
    actor.send({ ...fact, at: clock.now() } as PodFactEvent);
  const pod = {
    actor,
    clock,
    effects,
    send,
    context: () => actor.getSnapshot().context,
    phase: () => actor.getSnapshot().context.phase,
    /** The pod's record of a container (what its actor last reported). */
    container: (name: string) => {
      const { context } = actor.getSnapshot();
      const c = [...context.initContainers, ...context.containers].find((x) => x.name === name);
      if (!c) throw new Error(`no container ${name}`);
      return c;
    },
    /** The container actor's own snapshot. */
    containerActor: (name: string): AnyMachineSnapshot => {
      const child = (actor.getSnapshot().children as Record<string, AnyActorRef | undefined>)[containerActorId(name)];
      if (!child) throw new Error(`no container actor ${name}`);
      return child.getSnapshot() as AnyMachineSnapshot;
    },
    /** The container actor's top-level state. */
    containerState: (name: string): string => {
      const value = pod.containerActor(name).value;
      return typeof value === 'string' ? value : Object.keys(value)[0]!;
    },
    events: () => effects.paramsOf('recordEvent') as PodEventRecord[],
    reasons: () => pod.events().map((e) => e.reason),
    starts: (name: string) =>
      (effects.paramsOf('startContainer') as PodEffectParams['startContainer'][]).filter((p) => p.name === name).length,
    stops: () => effects.paramsOf('stopContainer') as PodEffectParams['stopContainer'][],
    /** The runtime pulls, creates and starts the container. */
    runContainer: (name: string) => {
      send({ type: 'image.pulled', name });
      send({ type: 'container.created', name, containerID: `docker://${name}` });
      send({ type: 'container.started', name, containerID: `docker://${name}` });
    },
    exit: (name: string, exitCode: number, oomKilled = false) => send({ type: 'container.exited', name, exitCode, oomKilled }),
    /** Sandbox up, every init container run to completion (a sidecar left running), every container running. */
    runAll: () => {
      send({ type: 'sandbox.created', podIP: '10.42.0.7' });
      for (const c of initContainers) {
        pod.runContainer(c.name);
        // A sidecar keeps running; an init container runs to completion.
        if (c.restartPolicy !== 'Always') pod.exit(c.name, 0);
      }
      for (const name of containers) pod.runContainer(name);
    },
  };
  return pod;
}
