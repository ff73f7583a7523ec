/**
 * Model test: explores every state the pod machine can reach from an event alphabet with
 * @xstate/graph, then checks the lifecycle invariants on every edge of that graph (so on every
 * path through it), replaying each edge with xstate's pure `transition()` to see its actions.
 *
 * Bound: restart, pull and sandbox retries each grow a counter, so the reachable graph is
 * infinite. Exploration stops expanding a state once the pod counts more than one retry (crashes,
 * failed pulls, failed sandboxes, over all containers): one full cycle (crash, back-off, restart,
 * crash again; or both containers crashing) exercises every rule; more cycles only repeat them
 * with bigger numbers (the exact back-off sequence is tested in machine.test.ts). All facts carry `at: 0`, so time
 * adds no states. The 2-container alphabet drops the facts that only record an event
 * (`image.pulled`, `container.created`), which the 1-container run covers, to keep the product of
 * two containers' states small. `limit` turns a runaway exploration into a failure, not a hang.
 *
 * Probes: the 1-container pod has all three probes (thresholds of 2, so runs of results count);
 * in the 2-container pod c0 has a readiness and c1 a liveness probe. Their results are in the
 * alphabet (the probers are spawned children the explorer never starts); the run counts are
 * capped at their thresholds, so they add finitely many states.
 */
import { adjacencyMapToArray, getAdjacencyMap } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  __unsafe_getAllOwnEventDescriptors,
  createActor,
  type ActorScope,
  type ExecutableActionObject,
  type SnapshotFrom,
} from 'xstate';
import type { PodMachineEvent, PodMachineInput, RestartPolicy } from './events.ts';
import { isTerminalPhase } from './lifecycle.ts';
import { podMachine } from './machine.ts';
import { activeProbes } from './probe-rules.ts';
import type { ContainerProbe, ContainerProbes, ProbeKind } from './probe-spec.ts';
import { proberId } from './prober.ts';
import { podStatus } from './status.ts';

type PodSnapshot = SnapshotFrom<typeof podMachine>;

/** States with more retries than this are reached and checked, but not explored further. */
const RETRY_BOUND = 1;
const TRAVERSAL_LIMIT = 200_000;

/**
 * The facts about one container. `full` adds the ones that matter less for the rules (they only
 * record an event, or repeat another path with a different reason): the 1-container run has
 * them all, the 2-container run focuses on how two containers' exits and restarts combine.
 */
function containerFacts(name: string, full: boolean): PodMachineEvent[] {
  const core: PodMachineEvent[] = [
    { type: 'container.started', name, at: 0 },
    { type: 'container.exited', name, at: 0, exitCode: 0 },
    { type: 'container.exited', name, at: 0, exitCode: 1 },
    { type: 'container.backoffElapsed', name },
  ];
  if (!full) return core;
  return [
    ...core,
    { type: 'image.pulled', name, at: 0 },
    { type: 'image.pullFailed', name, at: 0, message: 'not found' },
    { type: 'container.created', name, at: 0 },
    { type: 'container.exited', name, at: 0, exitCode: 137, oomKilled: true },
  ];
}

function probe(overrides: Partial<ContainerProbe>): ContainerProbe {
  return { handler: { type: 'exec', command: ['true'] }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1, ...overrides };
}

/** All three probes; readiness needs two successes in a row, so runs of results count. */
const PROBES: ContainerProbes = { startup: probe({}), liveness: probe({}), readiness: probe({ successThreshold: 2 }) };

/** What each probe of a container may report. */
function probeFacts(name: string, probes: ContainerProbes): PodMachineEvent[] {
  return (Object.keys(probes) as ProbeKind[]).flatMap((kind): PodMachineEvent[] => [
    { type: 'probe.succeeded', name, kind, at: 0 },
    { type: 'probe.failed', name, kind, at: 0, message: 'failed' },
  ]);
}

/**
 * What a pod of `containers` is told. With `probes`, the containers have PROBES and their
 * results join the core facts (the full alphabet times the probes' states is too big to walk).
 */
function alphabet(containers: string[], probes: boolean): PodMachineEvent[] {
  const full = containers.length === 1 && !probes;
  return [
    { type: 'pod.scheduled', nodeName: 'n1', at: 0 },
    { type: 'sandbox.created', at: 0 },
    ...containers.flatMap((name) => containerFacts(name, full)),
    ...(probes ? containers.flatMap((name) => probeFacts(name, PROBES)) : []),
    { type: 'volume.failed', at: 0, message: 'disk' },
    { type: 'node.lost', at: 0 },
    { type: 'pod.delete', at: 0 },
    ...(full
      ? ([
          { type: 'sandbox.failed', at: 0, message: 'boom' },
          { type: 'pod.delete', at: 0, gracePeriodSeconds: 0 },
        ] as const)
      : []),
  ];
}

/** Delayed transitions (`after`) as events, so the explorer can fire them like the clock would. */
function delayedEvents(state: PodSnapshot): PodMachineEvent[] {
  return __unsafe_getAllOwnEventDescriptors(state)
    .filter((type) => type.startsWith('xstate.after.'))
    .map((type) => ({ type }) as unknown as PodMachineEvent);
}

/** Retries (crashes, failed pulls, failed sandboxes) counted over the whole pod. */
function retries({ context: c }: PodSnapshot): number {
  return c.sandboxFailures + c.containers.reduce((sum, x) => sum + x.crashFailures + x.pullFailures, 0);
}

/**
 * xstate's pure `transition()` with one reused, inert actor scope: the same next snapshot and
 * action list, without building a throwaway actor system per edge (which made replay dominate).
 */
function createReplayer(input: PodMachineInput) {
  const self = createActor(podMachine, { input });
  let actions: ExecutableActionObject[] = [];
  const scope: ActorScope<PodSnapshot, PodMachineEvent> = {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: (action) => void actions.push(action),
  };
  return (state: PodSnapshot, event: PodMachineEvent): [PodSnapshot, ExecutableActionObject[]] => {
    actions = [];
    const next = podMachine.transition(state, event, scope);
    return [next, actions];
  };
}

function podInput(policy: RestartPolicy, containers: string[], probes: boolean): PodMachineInput {
  return {
    namespace: 'ns',
    name: 'p',
    uid: 'u',
    restartPolicy: policy,
    terminationGracePeriodSeconds: 30,
    containers: containers.map((name) => ({ name, image: 'busybox', probes: probes ? PROBES : {} })),
  };
}

function isProbeFact(e: PodMachineEvent): boolean {
  return e.type.startsWith('probe.');
}

function explore(policy: RestartPolicy, containers: string[], probes: boolean) {
  const events = alphabet(containers, probes);
  const adjacency = getAdjacencyMap(podMachine, {
    input: podInput(policy, containers, probes),
    events: (state) => [...events, ...delayedEvents(state)],
    stopWhen: (state) => retries(state) > RETRY_BOUND,
    limit: TRAVERSAL_LIMIT,
  });
  return adjacencyMapToArray(adjacency);
}

function describeEdge(state: PodSnapshot, event: PodMachineEvent): string {
  return `${JSON.stringify(state.value)} + ${JSON.stringify(event)}\ncontext: ${JSON.stringify(state.context)}`;
}

const CASES = (['Always', 'OnFailure', 'Never'] as const).flatMap((policy) => [
  { policy, containers: ['c0'], probes: false },
  { policy, containers: ['c0', 'c1'], probes: false },
  { policy, containers: ['c0'], probes: true },
]);

describe('pod machine model (@xstate/graph)', () => {
  it.each(CASES)('$policy with $containers.length container(s), probes: $probes: invariants hold on every reachable edge', ({ policy, containers, probes }) => {
    const edges = explore(policy, containers, probes);
    const transition = createReplayer(podInput(policy, containers, probes));
    const phases = new Set<string>();
    const violations: string[] = [];
    let probeKills = 0;
    let readinessFlips = 0;
    for (const { state, event } of edges) {
      const [next, actions] = transition(state, event);
      const before = state.context;
      const after = next.context;
      // The edge is described only when an invariant fails: serialising every edge is costly.
      const check = (holds: boolean, invariant: string) => {
        if (!holds) violations.push(`${invariant}: ${describeEdge(state, event)}`);
      };
      phases.add(after.phase);

      check(!isTerminalPhase(before.phase) || after.phase === before.phase, 'the phase changed after Succeeded/Failed');

      if (policy === 'Never') {
        check(after.containers.every((c) => c.restartCount === 0), 'Never counted a restart');
        const startedBefore = new Set(before.containers.filter((c) => c.startedOnce).map((c) => c.name));
        const restarted = actions.some(
          (a) => a.type === 'startContainer' && startedBefore.has((a.params as { name: string }).name),
        );
        check(!restarted, 'Never started a container again');
      }

      check(after.phase !== 'Running' || after.containers.every((c) => c.startedOnce), 'Running before every container started');

      check(podStatus(after).phase === after.phase, 'podStatus reports another phase');
      const inLifecycleEnd = next.matches('terminating') || next.matches('terminated');
      check(inLifecycleEnd || next.matches(after.phase.toLowerCase() as 'pending'), 'the state does not follow the phase');

      const changed = JSON.stringify(next.value) !== JSON.stringify(state.value) || JSON.stringify(after) !== JSON.stringify(before);
      check(state.status !== 'done' || !changed, 'something left terminated');
      // Most edges are events a state ignores: nothing below can fail on them.
      if (!changed) continue;

      const reported = actions.some((a) => a.type === 'reportStatus');
      const statusChanged = JSON.stringify(podStatus(after)) !== JSON.stringify(podStatus(before));
      if (!isProbeFact(event)) {
        check(actions.some((a) => a.type === 'recordEvent'), 'a transition recorded no Event');
        check(reported, 'a transition reported no status');
      }
      check(!statusChanged || reported, 'the status changed and was not reported');

      // Probes.
      for (const c of after.containers) {
        check(!c.ready || c.step === 'running', 'a container that is not running is ready');
        check(!c.ready || c.started, 'a container is ready before its startup probe passed');
        check(!c.ready || c.unhealthy === undefined, 'a container being killed for a failed probe is ready');
      }
      const probers = after.containers.flatMap((c) => activeProbes(after, c).map((kind) => proberId(c.name, kind))).sort();
      check(JSON.stringify(Object.keys(next.children).sort()) === JSON.stringify(probers), 'the probers are not exactly the probes that run');
      if (isProbeFact(event)) {
        check(after.phase === before.phase, 'a probe result changed the phase');
        check(after.containers.every((c, i) => c.step === before.containers[i]!.step), 'a probe result moved a container');
        check(!reported || statusChanged, 'a probe result wrote a status that did not change');
        const stops = actions.filter((a) => a.type === 'stopContainer');
        const killed = after.containers.filter((c, i) => c.unhealthy !== undefined && before.containers[i]!.unhealthy === undefined);
        check(stops.length === killed.length, 'a probe kill is not exactly one stop of the container');
        if (event.type === 'probe.failed') {
          check(actions.some((a) => a.type === 'recordEvent' && (a.params as { reason: string }).reason === 'Unhealthy'), 'a probe failure recorded no Unhealthy Event');
        }
        if (killed.length > 0) probeKills++;
        if (after.containers.some((c, i) => c.ready !== before.containers[i]!.ready)) readinessFlips++;
      }
    }
    expect(violations.slice(0, 5)).toEqual([]);
    // The exploration reached the lifecycle's end states, so the checks above were not vacuous.
    expect(phases).toContain('Running');
    expect(phases).toContain('Failed');
    if (policy !== 'Always') expect(phases).toContain('Succeeded');
    expect(edges.some((e) => e.state.status === 'done')).toBe(true);
    if (probes) {
      expect(probeKills).toBeGreaterThan(0);
      expect(readinessFlips).toBeGreaterThan(0);
    }
  });
});
