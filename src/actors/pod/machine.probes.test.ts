/**
 * The pod machine with probes: the real prober children on a SimulatedClock, each run answered
 * at once by a scripted `runProbe` (per container and probe kind, the next outcome), and every
 * effect recorded. Covers thresholds, initial delay, startup gating, liveness restarts,
 * readiness flapping (one status write per flip), deletion and final phases.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock, type AnyActorRef, type AnyMachineSnapshot } from 'xstate';
import { createEffectRecorder } from '../testing/effect-recorder.ts';
import type { ContainerContext } from './container-context.ts';
import { containerActorId } from './container-events.ts';
import { containerMachine } from './container-machine.ts';
import type { PodEffectParams, PodEventRecord, PodFactEvent, RestartPolicy } from './events.ts';
import { podMachine } from './machine.ts';
import type { ContainerProbe, ContainerProbes, ProbeHandler, ProbeKind, ProbeOutcome } from './probe-spec.ts';
import { proberMachine, type ProberEvent, type ProbeRunInput } from './prober.ts';
import { podStatus } from './status.ts';

const EFFECTS = ['createSandbox', 'startContainer', 'stopContainer', 'removePod', 'recordEvent', 'reportStatus'] as const;
const T0 = Date.UTC(2024, 0, 1);
const S = 1000;
const EXEC: ProbeHandler = { type: 'exec', command: ['test', '-f', '/tmp/ready'] };

/** A probe with Kubernetes' defaults, period 10 s unless overridden. */
function probe(overrides: Partial<ContainerProbe> = {}): ContainerProbe {
  return { handler: EXEC, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...overrides };
}

const OK: ProbeOutcome = { result: 'success', output: '' };
const FAIL: ProbeOutcome = { result: 'failure', output: 'HTTP probe failed with statuscode: 503' };

/** A fact without its time (the test's clock stamps it). */
type Fact = PodFactEvent extends infer E ? (E extends PodFactEvent ? Omit<E, 'at'> : never) : never;

interface Run {
  container: string;
  kind: ProbeKind;
  at: number;
}

/**
 * A pod whose containers have `probes`; each probe run takes the next scripted outcome for its
 * container and kind (`script`), else the standing one (`set`), else success. With `hold`, runs
 * stay in flight until `release()`.
 */
function startPod(probes: Record<string, ContainerProbes>, restartPolicy: RestartPolicy = 'Always', terminationGracePeriodSeconds = 30) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const effects = createEffectRecorder(EFFECTS);
  const runs: Run[] = [];
  const scripts = new Map<string, ProbeOutcome[]>();
  const standing = new Map<string, ProbeOutcome>();
  const held: (() => void)[] = [];
  let hold = false;
  const key = (container: string, kind: ProbeKind) => `${container}:${kind}`;
  const runProbe = fromCallback<ProberEvent, ProbeRunInput>(({ input, sendBack }) => {
    runs.push({ container: input.container, kind: input.kind, at: clock.now() });
    const k = key(input.container, input.kind);
    const outcome = scripts.get(k)?.shift() ?? standing.get(k) ?? OK;
    const report = () => sendBack({ type: 'probe.reported', outcome, at: clock.now() });
    if (hold) held.push(report);
    else report();
  });
  const machine = podMachine.provide({
    actions: effects.actions,
    actors: { container: containerMachine.provide({ actors: { prober: proberMachine.provide({ actors: { runProbe } }) } }) },
  });
  const names = Object.keys(probes);
  const actor = createActor(machine, {
    input: {
      namespace: 'default',
      name: 'web',
      uid: 'uid-1',
      nodeName: 'node-1',
      scheduledAt: T0,
      restartPolicy,
      terminationGracePeriodSeconds,
      containers: names.map((name) => ({ name, image: 'busybox:latest', probes: probes[name]! })),
    },
    clock,
  });
  actor.start();
  const send = (fact: Fact) => actor.send({ ...fact, at: clock.now() } as PodFactEvent);
  const pod = {
    actor,
    clock,
    effects,
    runs,
    /** The container actor's snapshot and context (its probe runs, whether it was killed). */
    containerActor: (name = names[0]!): AnyMachineSnapshot =>
      (actor.getSnapshot().children as Record<string, AnyActorRef>)[containerActorId(name)]!.getSnapshot() as AnyMachineSnapshot,
    container: (name = names[0]!): ContainerContext => pod.containerActor(name).context as ContainerContext,
    ready: (name = names[0]!) => pod.container(name).ready,
    status: () => podStatus(actor.getSnapshot().context),
    condition: (type: string) => pod.status().conditions?.find((c) => c.type === type),
    events: () => effects.paramsOf('recordEvent') as PodEventRecord[],
    reasons: () => pod.events().map((e) => e.reason),
    stops: () => effects.paramsOf('stopContainer') as PodEffectParams['stopContainer'][],
    statusWrites: () => effects.paramsOf('reportStatus').length,
    starts: (name = names[0]!) => (effects.paramsOf('startContainer') as { name: string }[]).filter((p) => p.name === name).length,
    runsOf: (kind: ProbeKind, name = names[0]!) => runs.filter((r) => r.kind === kind && r.container === name),
    /** The probers running now, as `<container>/<prober id>`. */
    children: () =>
      names.flatMap((name) => Object.keys(pod.containerActor(name).children).map((id) => `${name}/${id}`)).sort(),
    /** The next outcomes of a probe, in order. */
    script: (kind: ProbeKind, outcomes: ProbeOutcome[], name = names[0]!) => void scripts.set(key(name, kind), [...outcomes]),
    /** The outcome every further run of a probe gives. */
    set: (kind: ProbeKind, outcome: ProbeOutcome, name = names[0]!) => void standing.set(key(name, kind), outcome),
    hold: (on: boolean) => void (hold = on),
    release: () => held.splice(0).forEach((report) => report()),
    /** Time passes second by second, so every timer fires at its own time. */
    advance: (ms: number) => {
      for (let left = ms; left > 0; left -= Math.min(S, left)) clock.increment(Math.min(S, left));
    },
    runContainer: (name = names[0]!) => {
      send({ type: 'image.pulled', name });
      send({ type: 'container.created', name, containerID: `docker://${name}` });
      send({ type: 'container.started', name, containerID: `docker://${name}` });
    },
    runAll: () => {
      send({ type: 'sandbox.created', podIP: '10.42.0.7' });
      for (const name of names) pod.runContainer(name);
    },
    exit: (exitCode: number, name = names[0]!) => send({ type: 'container.exited', name, exitCode }),
    send,
  };
  return pod;
}

describe('pod machine probes: readiness thresholds', () => {
  interface Row {
    name: string;
    successThreshold: number;
    failureThreshold: number;
    results: ('S' | 'F')[];
    /** Readiness after each run. */
    ready: boolean[];
  }
  const ROWS: Row[] = [
    { name: 'defaults (1/3)', successThreshold: 1, failureThreshold: 3, results: ['S', 'F', 'F', 'F', 'S'], ready: [true, true, true, false, true] },
    { name: 'failures must be consecutive', successThreshold: 1, failureThreshold: 2, results: ['S', 'F', 'S', 'F', 'F'], ready: [true, true, true, true, false] },
    { name: 'success threshold 2', successThreshold: 2, failureThreshold: 1, results: ['S', 'S', 'F', 'S', 'S'], ready: [false, true, false, false, true] },
    { name: 'never passes before its threshold', successThreshold: 3, failureThreshold: 1, results: ['S', 'S', 'F', 'S', 'S', 'S'], ready: [false, false, false, false, false, true] },
  ];
  it.each(ROWS)('$name: $results → $ready', ({ successThreshold, failureThreshold, results, ready }) => {
    const pod = startPod({ app: { readiness: probe({ successThreshold, failureThreshold }) } });
    pod.script('readiness', results.map((r) => (r === 'S' ? OK : FAIL)));
    pod.runAll();
    const observed = [pod.ready()];
    for (let i = 1; i < results.length; i++) {
      pod.advance(10 * S);
      observed.push(pod.ready());
    }
    expect(pod.runsOf('readiness')).toHaveLength(results.length);
    expect(observed).toEqual(ready);
    expect(pod.condition('Ready')?.status).toBe(ready.at(-1) ? 'True' : 'False');
  });

  it('starts a container with a readiness probe not ready, and records Unhealthy for every failure', () => {
    const pod = startPod({ app: { readiness: probe() } });
    pod.set('readiness', FAIL);
    pod.runAll();
    expect(pod.container().state.kind).toBe('running');
    expect(pod.status().phase).toBe('Running');
    expect(pod.ready()).toBe(false);
    pod.advance(20 * S);
    const unhealthy = pod.events().filter((e) => e.reason === 'Unhealthy');
    expect(unhealthy).toHaveLength(3);
    expect(unhealthy[0]).toEqual({ type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', container: 'app' });
    expect(pod.condition('ContainersReady')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
  });
});

describe('pod machine probes: timing', () => {
  it('waits initialDelaySeconds from the start, then runs every periodSeconds', () => {
    const pod = startPod({ app: { readiness: probe({ initialDelaySeconds: 5, periodSeconds: 10 }) } });
    pod.runAll();
    pod.advance(4 * S);
    expect(pod.runsOf('readiness')).toEqual([]);
    pod.advance(36 * S);
    expect(pod.runsOf('readiness').map((r) => (r.at - T0) / S)).toEqual([5, 15, 25, 35]);
  });

  it('counts the period from the start of a run; a run that outlasts it is followed at once', () => {
    const pod = startPod({ app: { liveness: probe({ periodSeconds: 2, timeoutSeconds: 5 }) } });
    pod.hold(true);
    pod.runAll();
    pod.advance(5 * S);
    expect(pod.runsOf('liveness')).toHaveLength(1);
    pod.hold(false);
    pod.release();
    // The run ended at 5 s, after the tick at 2 s: the next run starts at once, then every 2 s.
    pod.advance(4 * S);
    expect(pod.runsOf('liveness').map((r) => (r.at - T0) / S)).toEqual([0, 5, 7, 9]);
  });
});

describe('pod machine probes: startup gating', () => {
  it('runs no liveness or readiness probe until the startup probe passes; then started and ready follow', () => {
    const pod = startPod({
      app: { startup: probe({ periodSeconds: 1, failureThreshold: 30 }), liveness: probe(), readiness: probe({ initialDelaySeconds: 3 }) },
    });
    pod.script('startup', [FAIL, FAIL, FAIL, FAIL]);
    pod.runAll();
    expect(pod.children()).toEqual(['app/probe:startup']);
    pod.advance(3 * S);
    expect(pod.container().started).toBe(false);
    expect(pod.status().containerStatuses?.[0]).toMatchObject({ started: false, ready: false });
    expect(pod.runsOf('liveness')).toEqual([]);
    expect(pod.runsOf('readiness')).toEqual([]);
    pod.advance(1 * S); // run 5 at 4 s: passes
    expect(pod.container().started).toBe(true);
    expect(pod.children()).toEqual(['app/probe:liveness', 'app/probe:readiness']);
    // The readiness delay (3 s from the container's start) is over: it runs at once.
    expect(pod.runsOf('readiness').map((r) => (r.at - T0) / S)).toEqual([4]);
    expect(pod.runsOf('liveness').map((r) => (r.at - T0) / S)).toEqual([4]);
    expect(pod.ready()).toBe(true);
    expect(pod.status().containerStatuses?.[0]).toMatchObject({ started: true, ready: true });
    // Startup probes run no more in this run.
    pod.advance(10 * S);
    expect(pod.runsOf('startup')).toHaveLength(5);
    expect(pod.reasons().filter((r) => r === 'Unhealthy')).toHaveLength(4);
  });

  it('makes a container with only a startup probe ready once it passes', () => {
    const pod = startPod({ app: { startup: probe({ periodSeconds: 1 }) } });
    pod.script('startup', [FAIL]);
    pod.runAll();
    expect(pod.ready()).toBe(false);
    pod.advance(S);
    expect(pod.ready()).toBe(true);
    expect(pod.condition('Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2024-01-01T00:00:01Z' });
  });

  it('kills a container whose startup probe fails failureThreshold times', () => {
    const pod = startPod({ app: { startup: probe({ periodSeconds: 1, failureThreshold: 3 }), liveness: probe() } });
    pod.set('startup', FAIL);
    pod.runAll();
    pod.advance(2 * S);
    expect(pod.stops()).toEqual([{ name: 'app', signal: 'SIGTERM', graceSeconds: 30 }]);
    expect(pod.events().at(-1)).toEqual({ type: 'Normal', reason: 'Killing', message: 'Container app failed startup probe, will be restarted', container: 'app' });
    expect(pod.runsOf('liveness')).toEqual([]);
    expect(pod.children()).toEqual([]);
  });
});

describe('pod machine probes: liveness', () => {
  it('kills the run after failureThreshold failures (the probe grace), restarts it and probes the new run afresh', () => {
    const pod = startPod({ app: { liveness: probe({ failureThreshold: 3, terminationGracePeriodSeconds: 5 }), readiness: probe() } });
    pod.runAll();
    expect(pod.ready()).toBe(true);
    pod.set('liveness', { result: 'failure', output: 'cat: can\'t open \'/tmp/healthy\': No such file or directory\n' });
    pod.advance(20 * S); // failures at 10 and 20 s
    expect(pod.stops()).toEqual([]);
    const writes = pod.statusWrites();
    pod.advance(10 * S); // the third
    expect(pod.stops()).toEqual([{ name: 'app', signal: 'SIGTERM', graceSeconds: 5 }]);
    expect(pod.events().slice(-2)).toEqual([
      { type: 'Warning', reason: 'Unhealthy', message: "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n", container: 'app' },
      { type: 'Normal', reason: 'Killing', message: 'Container app failed liveness probe, will be restarted', container: 'app' },
    ]);
    // Killing: not ready at once, and no probe runs while it stops.
    expect(pod.ready()).toBe(false);
    expect(pod.statusWrites()).toBe(writes + 1);
    expect(pod.children()).toEqual([]);
    const runsBefore = pod.runs.length;
    pod.advance(3 * S);
    expect(pod.runs).toHaveLength(runsBefore);

    // Its first crash: restarted at once.
    pod.exit(137);
    expect(pod.container().state).toMatchObject({ kind: 'waiting', reason: 'ContainerCreating' });
    expect(pod.starts()).toBe(2);
    pod.set('liveness', OK);
    pod.runContainer();
    expect(pod.container()).toMatchObject({ restartCount: 1, ready: true, probeRuns: { liveness: { result: 'success', count: 1 }, readiness: { result: 'success', count: 1 } } });
    expect(pod.children()).toEqual(['app/probe:liveness', 'app/probe:readiness']);
  });

  it('uses the pod grace without a probe grace, and SIGKILL when that is 0', () => {
    const pod = startPod({ app: { liveness: probe({ failureThreshold: 1 }) } }, 'Always', 0);
    pod.set('liveness', FAIL);
    pod.runAll();
    expect(pod.stops()).toEqual([{ name: 'app', signal: 'SIGKILL', graceSeconds: 0 }]);
  });

  it.each([
    { policy: 'OnFailure' as const, exitCode: 0, restarts: true, phase: 'Running', message: 'Container app failed liveness probe, will be restarted' },
    { policy: 'Never' as const, exitCode: 137, restarts: false, phase: 'Failed', message: 'Container app failed liveness probe' },
    { policy: 'Never' as const, exitCode: 0, restarts: false, phase: 'Succeeded', message: 'Container app failed liveness probe' },
  ])('$policy, killed run exits $exitCode → restarts: $restarts, $phase', ({ policy, exitCode, restarts, phase, message }) => {
    const pod = startPod({ app: { liveness: probe({ failureThreshold: 1 }) } }, policy);
    pod.set('liveness', FAIL);
    pod.runAll();
    expect(pod.events().at(-1)?.message).toBe(message);
    pod.exit(exitCode);
    pod.set('liveness', OK);
    pod.advance(10 * S);
    expect(pod.starts()).toBe(restarts ? 2 : 1);
    expect(pod.status().phase).toBe(phase);
  });
});

describe('pod machine probes: readiness flapping', () => {
  it('writes the status once per flip and never for a result that changes nothing', () => {
    const pod = startPod({ app: { readiness: probe({ periodSeconds: 1, failureThreshold: 1 }) }, side: {} });
    const pattern = [OK, OK, FAIL, FAIL, OK, FAIL, OK, OK];
    pod.script('readiness', pattern, 'app');
    pod.runAll();
    const flips: { ready: boolean; writes: number; since: string | undefined }[] = [];
    let writes = pod.statusWrites();
    for (let i = 1; i < pattern.length; i++) {
      pod.advance(S);
      flips.push({ ready: pod.ready('app'), writes: pod.statusWrites() - writes, since: pod.condition('Ready')?.lastTransitionTime });
      writes = pod.statusWrites();
    }
    expect(flips).toEqual([
      { ready: true, writes: 0, since: '2024-01-01T00:00:00Z' },
      { ready: false, writes: 1, since: '2024-01-01T00:00:02Z' },
      { ready: false, writes: 0, since: '2024-01-01T00:00:02Z' },
      { ready: true, writes: 1, since: '2024-01-01T00:00:04Z' },
      { ready: false, writes: 1, since: '2024-01-01T00:00:05Z' },
      { ready: true, writes: 1, since: '2024-01-01T00:00:06Z' },
      { ready: true, writes: 0, since: '2024-01-01T00:00:06Z' },
    ]);
    // The pod's conditions follow both containers: `side` (no probe) is ready throughout.
    expect(pod.ready('side')).toBe(true);
    const reported = pod.effects.paramsOf('reportStatus') as PodEffectParams['reportStatus'][];
    expect(reported.at(-1)?.status).toEqual(pod.status());
  });

  it('records a ProbeWarning for a success with a warning, and an errored run without counting it', () => {
    const pod = startPod({ app: { readiness: probe({ failureThreshold: 1 }) } });
    pod.script('readiness', [
      { result: 'warning', output: 'Probe terminated redirects, Response body: ' },
      { result: 'error', output: 'named port "http" not found in container "app"' },
    ]);
    pod.runAll();
    expect(pod.ready()).toBe(true);
    pod.advance(10 * S);
    expect(pod.ready()).toBe(true);
    expect(pod.container().probeRuns.readiness).toEqual({ result: 'success', count: 1 });
    expect(pod.events().filter((e) => e.type === 'Warning')).toEqual([
      { type: 'Warning', reason: 'ProbeWarning', message: 'Readiness probe warning: Probe terminated redirects, Response body: ', container: 'app' },
      { type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe errored: named port "http" not found in container "app"', container: 'app' },
    ]);
  });
});

describe('pod machine probes: stopping', () => {
  it('stops liveness on delete, keeps readiness until the containers stop, and probes nothing once terminated', () => {
    const pod = startPod({ app: { liveness: probe({ periodSeconds: 1 }), readiness: probe({ periodSeconds: 1 }) } });
    pod.runAll();
    pod.send({ type: 'pod.delete', gracePeriodSeconds: 30 });
    expect(pod.children()).toEqual(['app/probe:readiness']);
    pod.set('readiness', FAIL);
    pod.advance(3 * S);
    expect(pod.ready()).toBe(false);
    expect(pod.runsOf('liveness')).toHaveLength(1);
    pod.exit(143);
    expect(pod.actor.getSnapshot().value).toEqual({ failed: 'removed' });
    const runs = pod.runs.length;
    pod.advance(5 * S);
    expect(pod.runs).toHaveLength(runs);
  });

  it('stops every probe when the container exits, and when the pod fails as a whole', () => {
    const pod = startPod({ a: { readiness: probe({ periodSeconds: 1 }) }, b: { liveness: probe({ periodSeconds: 1 }) } });
    pod.runAll();
    pod.exit(1, 'a');
    expect(pod.children()).toEqual(['b/probe:liveness']);
    pod.send({ type: 'volume.failed', message: 'disk gone' });
    expect(pod.children()).toEqual([]);
    const runs = pod.runs.length;
    pod.advance(20 * S);
    expect(pod.runs).toHaveLength(runs);
  });

  it('ignores a result for a probe that does not run (stale or unknown)', () => {
    const pod = startPod({ app: { readiness: probe() } });
    pod.runAll();
    pod.effects.clear();
    pod.send({ type: 'probe.failed', name: 'app', kind: 'liveness', message: 'late' });
    pod.send({ type: 'probe.failed', name: 'nope', kind: 'readiness', message: 'unknown' });
    pod.exit(1);
    pod.effects.clear();
    pod.send({ type: 'probe.failed', name: 'app', kind: 'readiness', message: 'after exit' });
    expect(pod.effects.calls).toEqual([]);
  });
});
