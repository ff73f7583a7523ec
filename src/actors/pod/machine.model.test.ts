/**
 * Model test: the pod machine together with its container actors (a product model,
 * testing/system-model.ts: every actor's snapshot plus the pending timers), explored with
 * @xstate/graph from an alphabet of facts, commands and timer firings; the lifecycle invariants
 * are checked on every edge of that graph (so on every path through it), with the effects each
 * edge ran.
 *
 * Bound: crashes, failed pulls and failed sandboxes each grow a counter, so the reachable graph
 * is infinite. Exploration stops expanding a state once the pod counts more retries (over all
 * its containers) than the case's bound: two for one container (a first crash restarted at once,
 * a second backed off and restarted, or a failed pull), one where two containers or init
 * containers multiply the states (a second crash is still reached and checked, so is its
 * back-off); more cycles only repeat the rules with bigger numbers (the exact back-off sequence
 * is tested in machine.test.ts). All facts carry `at: 0`,
 * so time adds no states; any pending timer may fire next (a superset of what a clock allows).
 * `limit` turns a runaway exploration into a failure, not a hang.
 *
 * Pods explored, under each restart policy: one container with the full alphabet (pulls, OOM,
 * a failed sandbox, a delete with grace 0); two containers (how their exits and restarts
 * combine); one container with all three probes (the probers are opaque children: their results
 * are in the alphabet while they exist); two init containers before one container; a sidecar
 * and an init container before one container; one container with volumes (set-ups failing and
 * retried, a source changing, its configuration failing).
 */
import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import {
  childrenOf,
  exploreSystem,
  machineAt,
  serializeSystem,
  systemModel,
  type SystemEdge,
  type SystemEvent,
  type SystemSnapshot,
} from '../testing/system-model.ts';
import type { ContainerContext } from './container-context.ts';
import { containerActorId } from './container-events.ts';
import type { PodContext } from './context.ts';
import { isTerminalPhase, type PodEventRecord, type PodMachineEvent, type PodMachineInput, type RestartPolicy } from './events.ts';
import { podMachine } from './machine.ts';
import type { ContainerProbe, ContainerProbes, ProbeKind } from './probe-spec.ts';
import { proberId } from './prober.ts';
import { podStatus } from './status.ts';

const STATE_LIMIT = 200_000;

interface Case {
  policy: RestartPolicy;
  containers: string[];
  init: string[];
  /** Which of `init` are sidecars (restartPolicy Always). */
  sidecars: string[];
  probes: boolean;
  /** The whole alphabet (pulls, OOM, created, a failed sandbox, a delete with grace 0). */
  full: boolean;
  /** Volumes to set up: their facts, sources changing, containers' configurations failing. */
  volumes?: boolean;
  /** States with more retries than this are reached and checked, but not explored further. */
  retryBound: number;
}

function probe(overrides: Partial<ContainerProbe>): ContainerProbe {
  return { handler: { type: 'exec', command: ['true'] }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1, ...overrides };
}

/** All three probes; readiness needs two successes in a row, so runs of results count. */
const PROBES: ContainerProbes = { startup: probe({}), liveness: probe({}), readiness: probe({ successThreshold: 2 }) };

function podInput({ policy, containers, init, sidecars, probes, volumes }: Case): PodMachineInput {
  return {
    ...(volumes ? { volumes: ['cfg'] } : {}),
    namespace: 'ns',
    name: 'p',
    uid: 'u',
    restartPolicy: policy,
    terminationGracePeriodSeconds: 30,
    containers: containers.map((name) => ({ name, image: 'busybox', probes: probes ? PROBES : {} })),
    initContainers: init.map((name) => (sidecars.includes(name) ? { name, image: 'busybox', restartPolicy: 'Always' as const } : { name, image: 'busybox' })),
  };
}

/** The facts about one container. */
function containerFacts(name: string, full: boolean, volumes: boolean): PodMachineEvent[] {
  const core: PodMachineEvent[] = [
    { type: 'container.started', name, at: 0 },
    { type: 'container.exited', name, at: 0, exitCode: 0 },
    { type: 'container.exited', name, at: 0, exitCode: 1 },
    ...(volumes ? [{ type: 'container.configFailed' as const, name, at: 0, message: 'configmap "x" not found' }] : []),
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

const deliver = (to: string, event: PodMachineEvent | EventObject): SystemEvent => ({ type: 'deliver', to, event: event as EventObject });

/** What the pod is told, whatever its state. */
function podAlphabet(c: Case): SystemEvent[] {
  const names = [...c.init, ...c.containers];
  const facts: PodMachineEvent[] = [
    { type: 'pod.scheduled', nodeName: 'n1', at: 0 },
    { type: 'sandbox.created', at: 0 },
    ...names.flatMap((name) => containerFacts(name, c.full, c.volumes === true)),
    ...(c.volumes
      ? ([
          { type: 'volumes.mounted', at: 0 },
          { type: 'volumes.failed', at: 0, volume: 'cfg', message: 'MountVolume.SetUp failed for volume "cfg" : configmap "x" not found' },
          { type: 'sources.changed', at: 0 },
        ] as const)
      : []),
    { type: 'volume.failed', at: 0, message: 'disk' },
    { type: 'node.lost', at: 0 },
    { type: 'node.fenced', at: 0, message: 'fenced' },
    { type: 'pod.delete', at: 0 },
    ...(c.full
      ? ([
          { type: 'sandbox.failed', at: 0, message: 'boom' },
          { type: 'pod.delete', at: 0, gracePeriodSeconds: 0 },
        ] as const)
      : []),
  ];
  return facts.map((e) => deliver('', e));
}

/** A prober's results, sent to its container while the prober exists; and every pending timer. */
function eventsIn(state: SystemSnapshot, c: Case): SystemEvent[] {
  const probes: SystemEvent[] = [];
  for (const name of c.containers) {
    const path = `/${containerActorId(name)}`;
    for (const child of childrenOf(state, path)) {
      const kind = child.slice('probe:'.length) as ProbeKind;
      probes.push(
        deliver(path, { type: 'probe.succeeded', name, kind, at: 0 }),
        deliver(path, { type: 'probe.failed', name, kind, at: 0, message: 'failed' }),
      );
    }
  }
  const timers = [...state.timers.keys()].map((timer): SystemEvent => ({ type: 'fire', timer }));
  return [...probes, ...timers];
}

const pod = (state: SystemSnapshot): AnyMachineSnapshot => machineAt(state, '');
const podContext = (state: SystemSnapshot): PodContext => pod(state).context as PodContext;
const containerAt = (state: SystemSnapshot, name: string): AnyMachineSnapshot => machineAt(state, `/${containerActorId(name)}`);
const containerContext = (state: SystemSnapshot, name: string): ContainerContext => containerAt(state, name).context as ContainerContext;

/** Crashes, failed pulls and failed sandboxes counted over the whole pod. */
function retries(state: SystemSnapshot, c: Case): number {
  const names = [...c.init, ...c.containers];
  const pod = podContext(state);
  return pod.sandboxFailures + pod.mountFailures + names.reduce((sum, n) => {
    const cc = containerContext(state, n);
    return sum + cc.crashes + cc.pullFailures + cc.configFailures;
  }, 0);
}

/**
 * What tells two states apart: not the pod's constant container inputs, nor the last written
 * status and the containers' last reports (once a step settles they equal what the contexts
 * show, except after removal, when nothing is written any more).
 */
function significant(_path: string, context: unknown): unknown {
  const { containerInputs: _inputs, reportedStatus: _written, reported: _reported, ...rest } = context as Record<string, unknown>;
  return rest;
}

function explore(c: Case, visit: (edge: SystemEdge) => void) {
  const alphabet = podAlphabet(c);
  return exploreSystem(systemModel(podMachine, podInput(c), { interpret: ['container'] }), {
    events: (state) => [...alphabet, ...eventsIn(state, c)],
    serialize: (state) => serializeSystem(state, significant),
    stopWhen: (state) => retries(state, c) > c.retryBound,
    limit: STATE_LIMIT,
    visit,
  });
}

function describeEdge(state: SystemSnapshot, event: SystemEvent): string {
  const values = [...state.actors.values()].filter((a) => a.snapshot).map((a) => `${a.path || 'pod'}: ${JSON.stringify(a.snapshot!.value)}`);
  return `${values.join(', ')} + ${JSON.stringify(event)}`;
}

const PHASE_STATE = { Pending: 'pending', Running: 'running', Succeeded: 'succeeded', Failed: 'failed' } as const;

/** Per-object memo: the walk meets the same states and contexts on many edges. */
function memo<K extends object, V>(fn: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key) => {
    if (!cache.has(key)) cache.set(key, fn(key));
    return cache.get(key)!;
  };
}

/** Every actor's state value, to see whether an edge moved any. */
const values = memo((state: SystemSnapshot): string => JSON.stringify([...state.actors.values()].map((a) => [a.path, a.snapshot?.value])));

/** The status a pod context shows, as JSON. */
const statusJson = memo((context: PodContext): string => JSON.stringify(podStatus(context)));

const CASES: Case[] = (['Always', 'OnFailure', 'Never'] as const).flatMap((policy) => [
  { policy, containers: ['c0'], init: [], sidecars: [], probes: false, full: true, retryBound: 2 },
  { policy, containers: ['c0', 'c1'], init: [], sidecars: [], probes: false, full: false, retryBound: 1 },
  { policy, containers: ['c0'], init: [], sidecars: [], probes: true, full: false, retryBound: 2 },
  { policy, containers: ['c0'], init: ['i0', 'i1'], sidecars: [], probes: false, full: false, retryBound: 1 },
  { policy, containers: ['c0'], init: ['s0', 'i0'], sidecars: ['s0'], probes: false, full: false, retryBound: 1 },
  { policy, containers: ['c0'], init: [], sidecars: [], probes: false, full: false, volumes: true, retryBound: 2 },
]);

describe('pod + container machines model (@xstate/graph over the actor system)', () => {
  it.each(CASES)(
    '$policy, containers $containers, init $init (sidecars $sidecars), probes: $probes: invariants hold on every reachable edge',
    (c) => {
      const names = [...c.init, ...c.containers];
      const violations: string[] = [];
      const seen = { phases: new Set<string>(), removed: 0, immediateRestarts: 0, backOffs: 0, probeKills: 0, readinessFlips: 0, initCompleted: 0, lateStarts: 0, mountRetries: 0, configRetries: 0 };
      const t0 = performance.now();
      const walked = explore(c, ({ state, event, next }) => {
        const check = (holds: boolean, invariant: string) => {
          if (!holds) violations.push(`${invariant}: ${describeEdge(state, event)}`);
        };
        const before = podContext(state);
        const after = podContext(next);
        const effects = next.effects;
        const podBefore = pod(state);
        const podAfter = pod(next);
        const isProbeResult = event.type === 'deliver' && event.event.type.startsWith('probe.');
        seen.phases.add(after.phase);

        // A terminal phase never changes, and the pod never leaves its terminal state.
        check(!isTerminalPhase(before.phase) || after.phase === before.phase, 'a terminal phase changed');
        for (const terminal of ['succeeded', 'failed'] as const) {
          check(!podBefore.matches(terminal) || podAfter.matches(terminal), `the pod left ${terminal}`);
        }
        // The state is the phase (terminating keeps the phase the pod had).
        check(
          podAfter.matches('terminating') ? !isTerminalPhase(after.phase) : podAfter.matches(PHASE_STATE[after.phase]),
          'the state does not follow the phase',
        );
        check(podStatus(after).phase === after.phase, 'podStatus reports another phase');

        // Running only once every container started and the init containers are behind it.
        check(after.phase !== 'Running' || after.containers.every((r) => r.startedOnce), 'Running before every container started');
        check(after.phase !== 'Running' || after.initialized, 'Running before the init containers completed');

        const starts = effects.filter((e) => e.type === 'startContainer').map((e) => (e.params as { name: string }).name);
        // Init containers run in order, one at a time, all before the containers (a sidecar: once it started).
        const passed = (n: string) => {
          const r = after.initContainers.find((x) => x.name === n)!;
          return c.sidecars.includes(n) ? r.startedOnce : r.life === 'done' && r.state.kind === 'terminated' && r.state.exitCode === 0;
        };
        for (const name of starts.filter((n) => !containerContext(state, n).startedOnce)) {
          const i = c.init.indexOf(name);
          const earlier = i >= 0 ? c.init.slice(0, i) : c.init;
          check(earlier.every(passed), `${name} started before the init containers ahead of it completed`);
        }
        const regularInits = c.init.filter((n) => !c.sidecars.includes(n));
        const busyInits = regularInits.filter((n) => ['running', 'restarting'].includes(containerContext(next, n).life) || containerAt(next, n).matches('starting'));
        check(busyInits.length <= 1, 'two init containers run at once');

        // The restart table: Never never starts a container again (a sidecar always restarts).
        if (c.policy === 'Never') {
          const regular = names.filter((n) => !c.sidecars.includes(n));
          check(regular.every((n) => containerContext(next, n).restartCount === 0), 'Never counted a restart');
          check(!starts.some((n) => regular.includes(n) && containerContext(state, n).startedOnce), 'Never started a container again');
        }
        // A pod that completed stops its sidecars.
        if (!isTerminalPhase(before.phase) && isTerminalPhase(after.phase) && !podAfter.matches({ failed: 'removed' }) && !podAfter.matches({ succeeded: 'removed' })) {
          for (const sidecar of c.sidecars) {
            const cc = containerContext(next, sidecar);
            check(!containerAt(next, sidecar).matches('running') || cc.stop !== undefined, `${sidecar} runs on after the pod completed`);
          }
        }
        // Volumes: the sandbox only after they are set up; waiting on one never moves the phase.
        const factType = event.type === 'deliver' ? event.event.type : undefined;
        const waitingOnVolumes = podBefore.matches({ pending: 'mountingVolumes' }) || podBefore.matches({ pending: 'mountBackoff' });
        if (waitingOnVolumes && effects.some((e) => e.type === 'createSandbox')) check(factType === 'volumes.mounted', 'the sandbox before the volumes');
        if (factType === 'volumes.failed' || factType === 'container.configFailed' || factType === 'sources.changed') {
          check(after.phase === before.phase, `${factType} changed the phase`);
        }
        check(!podAfter.matches({ pending: 'mountBackoff' }) || after.containers.every((r) => r.state.kind === 'waiting' && r.state.reason === 'ContainerCreating'), 'waiting on a volume shows no ContainerCreating');
        if (podBefore.matches({ pending: 'mountBackoff' }) && podAfter.matches({ pending: 'mountingVolumes' })) seen.mountRetries++;
        for (const name of names) {
          if (containerAt(state, name).matches('configError') && containerAt(next, name).matches('starting')) seen.configRetries++;
        }

        // A removed pod starts nothing and is removed once.
        check(!before.removed || !effects.some((e) => ['startContainer', 'createSandbox', 'removePod'].includes(e.type)), 'a removed pod acted');
        check(effects.filter((e) => e.type === 'removePod').length <= 1, 'removed twice');

        // Containers: ready only while running, started and healthy; the probers are the probes that run.
        for (const name of names) {
          const cc = containerContext(next, name);
          const running = containerAt(next, name).matches('running');
          check(!cc.ready || running, `${name} is ready while not running`);
          check(!cc.ready || cc.started, `${name} is ready before its startup probe passed`);
          check(!cc.ready || cc.unhealthy === undefined, `${name} is ready while killed for a failed probe`);
          const record = [...after.initContainers, ...after.containers].find((r) => r.name === name)!;
          check(!record.ready || record.life === 'running', `the pod's record of ${name} is ready while not running`);
          const probers = childrenOf(next, `/${containerActorId(name)}`);
          check(running || probers.length === 0, `${name} has probers while not running`);
          check(!probers.includes(proberId('startup')) || !cc.started, `${name} runs its startup probe after it passed`);
          check(!probers.some((p) => p !== proberId('startup')) || cc.started, `${name} runs liveness/readiness before startup passed`);
          check(probers.length === 0 || cc.unhealthy === undefined, `${name} is probed while killed`);
          check(!cc.stop || !probers.some((p) => p !== proberId('readiness')), `${name} runs startup/liveness while stopped by the pod`);
          if (running && !cc.stop && cc.unhealthy === undefined) {
            const kinds = (Object.keys(cc.probes) as ProbeKind[]).filter((k) => (cc.started ? k !== 'startup' : k === 'startup'));
            check(JSON.stringify(probers) === JSON.stringify(kinds.map(proberId).sort()), `${name}'s probers are not the probes that run`);
          }
        }

        // The status is written when it changed, once per change, never after removal.
        const reports = effects.filter((e) => e.type === 'reportStatus').map((e) => JSON.stringify((e.params as { status: unknown }).status));
        const statusBefore = statusJson(before);
        const statusAfter = statusJson(after);
        check(!before.removed || reports.length === 0, 'a status written after removal');
        if (!after.removed) {
          check(statusAfter === statusBefore || reports.at(-1) === statusAfter, 'the status changed and was not written');
          check(reports.length === 0 || reports.at(-1) === statusAfter, 'the last write is not the status');
        }
        check(reports.every((r, i) => r !== (i === 0 ? (before.statusWritten ? before.reportedStatus : undefined) : reports[i - 1])), 'a status written twice');

        // Every lifecycle transition records an Event (a probe result that passes need not; nor a
        // retry of a wait on the cluster's objects, whose outcome records one; nor volumes set up:
        // the kubelet records their failures, not their success).
        const events = effects.filter((e) => e.type === 'recordEvent').map((e) => e.params as PodEventRecord);
        const retry =
          factType === 'volumes.mounted' ||
          (podBefore.matches({ pending: 'mountBackoff' }) && podAfter.matches({ pending: 'mountingVolumes' })) ||
          names.some((n) => containerAt(state, n).matches('configError') && containerAt(next, n).matches('starting'));
        if (!isProbeResult && !retry && values(state) !== values(next)) check(events.length > 0, 'a transition recorded no Event');

        // Probe results: never the phase or a container's life; a kill is one stop.
        if (isProbeResult && event.type === 'deliver') {
          const name = (event.event as unknown as { name: string }).name;
          check(after.phase === before.phase, 'a probe result changed the phase');
          check(containerContext(next, name).life === containerContext(state, name).life, 'a probe result moved a container');
          const killed = containerContext(next, name).unhealthy !== undefined && containerContext(state, name).unhealthy === undefined;
          const stops = effects.filter((e) => e.type === 'stopContainer');
          check(stops.length === (killed ? 1 : 0), 'a probe kill is not exactly one stop');
          if (event.event.type === 'probe.failed') check(events.some((e) => e.reason === 'Unhealthy'), 'a probe failure recorded no Unhealthy Event');
          if (killed) seen.probeKills++;
          if (containerContext(next, name).ready !== containerContext(state, name).ready) seen.readinessFlips++;
        }

        // What the walk saw, for the non-vacuity checks below.
        if (after.removed && !before.removed) seen.removed++;
        for (const name of names) {
          const was = containerAt(state, name);
          const is = containerAt(next, name);
          if (!was.matches('backOff') && is.matches('backOff')) seen.backOffs++;
          if (was.matches('running') && is.matches('starting')) seen.immediateRestarts++;
          if (was.matches('stopped') && is.matches('running')) seen.lateStarts++;
        }
        if (after.initContainers.length > 0 && after.initialized && !before.initialized) seen.initCompleted++;
      });
      console.log(`${c.policy} ${names.join(',')}${c.probes ? ' probes' : ''}: ${walked.states} states, ${walked.edges} edges, ${Math.round(performance.now() - t0)} ms`);
      expect(violations.slice(0, 5)).toEqual([]);
      // The walk reached the lifecycle's ends and its turns, so the checks above were not vacuous.
      expect(walked.edges).toBeGreaterThan(1000);
      expect(seen.phases).toContain('Running');
      expect(seen.phases).toContain('Failed');
      expect(seen.phases).toContain('Succeeded');
      expect(seen.removed).toBeGreaterThan(0);
      expect(seen.lateStarts).toBeGreaterThan(0);
      if (c.policy !== 'Never') {
        expect(seen.immediateRestarts).toBeGreaterThan(0);
        expect(seen.backOffs).toBeGreaterThan(0);
      }
      if (c.probes) {
        expect(seen.probeKills).toBeGreaterThan(0);
        expect(seen.readinessFlips).toBeGreaterThan(0);
      }
      if (c.init.length > 0) expect(seen.initCompleted).toBeGreaterThan(0);
      if (c.volumes) {
        expect(seen.mountRetries).toBeGreaterThan(0);
        expect(seen.configRetries).toBeGreaterThan(0);
      }
    },
    120_000,
  );
});
