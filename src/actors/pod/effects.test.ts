/**
 * The pod effects over the hollow runtime (a ContainerRuntime that passes the shared conformance
 * suite) with a simulated clock for the back-off: starting, exits, restarts after the back-off,
 * and adoption of a pod a previous daemon left in the runtime. The same effects run on real
 * Docker in node-daemon/daemon.docker.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { HollowEngine, HollowRuntime } from '../../../node-daemon/runtime/hollow.ts';
import type { ContainerSpec, RuntimePod } from '../../runtime/types.ts';
import { PodRuntimeActor } from './effects.ts';
import type { PodEventRecord, RestartPolicy } from './events.ts';
import type { ContainerProbe, ContainerProbes, ProbeOutcome, ProbeRequest, ProbeRunner } from './probe-spec.ts';
import { waitFor } from '../../../test/support/wait.ts';

const POD = { uid: 'uid-1', namespace: 'default', name: 'web' };


interface ProbeOptions {
  probes?: ContainerProbes;
  probe?: ProbeRunner;
}

function podActor(runtime: HollowRuntime, restartPolicy: RestartPolicy, script: string, adopted?: RuntimePod, { probes, probe }: ProbeOptions = {}) {
  const clock = new SimulatedClock();
  clock.set(Date.now());
  const spec: ContainerSpec = { name: 'app', image: 'busybox:latest', command: ['sh', '-c', script] };
  const events: PodEventRecord[] = [];
  const statuses: PodStatus[] = [];
  const errors: unknown[] = [];
  let removed = false;
  const actor = new PodRuntimeActor(
    { ...POD, nodeName: 'n1', restartPolicy, terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: spec.image, ...(probes ? { probes } : {}) }] },
    {
      runtime,
      pod: POD,
      specs: new Map([['app', spec]]),
      volumes: [],
      prepareVolumes: async () => {},
      removeVolumes: async () => {},
      ...(adopted ? { adopted } : {}),
      ...(probe ? { probe } : {}),
      hostIP: '127.0.0.1',
      onEvent: (e) => events.push(e),
      onStatus: (s) => statuses.push(s),
      onRemoved: () => void (removed = true),
      onError: (err) => errors.push(err),
      now: () => clock.now(),
    },
    { clock },
  );
  runtime.onEvent((e) => actor.handleRuntimeEvent(e));
  actor.start();
  const app = () => actor.status().containerStatuses?.find((c) => c.name === 'app');
  return { actor, clock, events, statuses, errors, app, phase: () => actor.status().phase, removed: () => removed };
}

describe('pod effects on a runtime', () => {
  it('starts the pod and reports Running with the runtime container id and host IP', async () => {
    const pod = podActor(new HollowRuntime(), 'Always', 'sleep 3600');
    await waitFor('Running', () => pod.phase() === 'Running');
    expect(pod.app()?.containerID).toMatch(/^hollow:\/\/hollow-container-/);
    expect(pod.actor.status().hostIP).toBe('127.0.0.1');
    expect(pod.events.map((e) => e.reason)).toEqual(['SandboxCreated', 'Pulled', 'Created', 'Started']);
    expect(pod.errors).toEqual([]);
  });

  it('restarts an exited container at once, then after the back-off, through the actor clock', async () => {
    const runtime = new HollowRuntime();
    const pod = podActor(runtime, 'OnFailure', 'exit 3');
    // The first crash restarts at once; the second backs off.
    await waitFor('CrashLoopBackOff', () => pod.app()?.state?.waiting?.reason === 'CrashLoopBackOff');
    expect(pod.app()?.restartCount).toBe(1);
    expect(pod.app()?.lastState?.terminated?.exitCode).toBe(3);
    const first = pod.app()?.containerID;
    expect(pod.app()?.lastState?.terminated?.containerID).toBe(first);
    pod.clock.increment(10_000);
    await waitFor('restart', () => (pod.app()?.restartCount ?? 0) >= 2);
    // The replaced container is kept (for logs --previous); nothing older.
    expect(runtime.engine.containers.size).toBeLessThanOrEqual(2);
  });

  it('names the container that finished in its terminated state (its log stays readable)', async () => {
    const runtime = new HollowRuntime();
    const pod = podActor(runtime, 'Never', 'exit 0');
    await waitFor('Succeeded', () => pod.phase() === 'Succeeded');
    const id = pod.app()?.containerID;
    expect(id).toMatch(/^hollow:\/\//);
    expect(pod.app()?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed', containerID: id });
    // Kept until the pod is deleted.
    expect(pod.actor.containerId('app')).toBe(id!.slice('hollow://'.length));
    expect(runtime.engine.containers.size).toBe(1);
  });

  it('removes sandbox and containers on delete and then reports removal', async () => {
    const runtime = new HollowRuntime();
    const pod = podActor(runtime, 'Always', 'sleep 3600');
    await waitFor('Running', () => pod.phase() === 'Running');
    pod.actor.delete(0);
    await waitFor('removed', () => pod.removed());
    expect(runtime.engine.containers.size).toBe(0);
    expect(runtime.engine.sandboxes.size).toBe(0);
  });

  describe('adoption after a daemon restart', () => {
    async function leftover(script: string): Promise<{ engine: HollowEngine; adopted: RuntimePod; id: string }> {
      const engine = new HollowEngine();
      const before = podActor(new HollowRuntime({ engine }), 'Never', script);
      await waitFor('the first run settled', () => before.app()?.state?.running !== undefined || before.app()?.state?.terminated !== undefined);
      before.actor.stop();
      const [adopted] = await new HollowRuntime({ engine }).listPods();
      return { engine, adopted: adopted!, id: adopted!.containers[0]!.id };
    }

    it('a running container stays running: no new container, no repeated Events', async () => {
      const { engine, adopted, id } = await leftover('sleep 3600');
      const pod = podActor(new HollowRuntime({ engine }), 'Always', 'sleep 3600', adopted);
      await waitFor('Running', () => pod.phase() === 'Running');
      expect(pod.app()?.containerID).toBe(`hollow://${id}`);
      expect(engine.containers.size).toBe(1);
      expect(engine.sandboxes.size).toBe(1);
      expect(pod.events).toEqual([]);
    });

    it('an exited container is judged by the restart policy (Never: Failed)', async () => {
      const { engine, adopted } = await leftover('exit 2');
      const pod = podActor(new HollowRuntime({ engine }), 'Never', 'exit 2', adopted);
      await waitFor('Failed', () => pod.phase() === 'Failed');
      expect(pod.app()?.state?.terminated?.exitCode).toBe(2);
      expect(engine.containers.size).toBe(1);
    });

    it('an exited container is judged by the restart policy (Always: restarted)', async () => {
      const { engine, adopted } = await leftover('exit 2');
      const pod = podActor(new HollowRuntime({ engine }), 'Always', 'exit 2', adopted);
      await waitFor('restart', () => (pod.app()?.restartCount ?? 0) >= 1);
      expect(pod.phase()).toBe('Running');
      expect(pod.events.filter((e) => e.reason === 'Started')).not.toHaveLength(0);
    });
  });
});

describe('pod effects: probes', () => {
  const probe = (overrides: Partial<ContainerProbe> = {}): ContainerProbe => ({
    handler: { type: 'httpGet', scheme: 'HTTP', port: 8080, path: '/healthz', headers: [] },
    initialDelaySeconds: 0,
    periodSeconds: 10,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 1,
    ...overrides,
  });

  /** A runner that records each request and answers with `outcome` (changeable). */
  function fakeRunner(): { requests: ProbeRequest[]; outcome: ProbeOutcome; run: ProbeRunner } {
    const runner = {
      requests: [] as ProbeRequest[],
      outcome: { result: 'success', output: '' } as ProbeOutcome,
      run: async (request: ProbeRequest): Promise<ProbeOutcome> => {
        runner.requests.push(request);
        return runner.outcome;
      },
    };
    return runner;
  }

  it("runs each probe on the container's live run; readiness follows the results into the status", async () => {
    const runner = fakeRunner();
    const pod = podActor(new HollowRuntime(), 'Always', 'sleep 3600', undefined, { probes: { readiness: probe() }, probe: runner.run });
    await waitFor('ready', () => pod.app()?.ready === true);
    const [first] = runner.requests;
    expect(first).toEqual({
      kind: 'readiness',
      container: 'app',
      containerId: pod.actor.containerId('app'),
      handler: { type: 'httpGet', scheme: 'HTTP', port: 8080, path: '/healthz', headers: [] },
      timeoutSeconds: 1,
    });
    runner.outcome = { result: 'failure', output: 'HTTP probe failed with statuscode: 503' };
    pod.clock.increment(10_000);
    await waitFor('not ready', () => pod.app()?.ready === false);
    expect(pod.statuses.at(-1)?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(pod.events.at(-1)).toEqual({ type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', container: 'app' });
  });

  it('kills a run that fails its liveness probe with the probe grace and restarts it at once, its exit reported once', async () => {
    const runtime = new HollowRuntime();
    const stops: number[] = [];
    const stop = runtime.stopContainer.bind(runtime);
    // The hollow runtime ignores the grace: record what the pod asked for.
    runtime.stopContainer = (id: string, graceSeconds?: number) => {
      stops.push(graceSeconds ?? -1);
      return stop(id);
    };
    const requests: ProbeRequest[] = [];
    let unhealthy: string | undefined;
    // Only the first run fails its probe.
    const run: ProbeRunner = async (request) => {
      requests.push(request);
      unhealthy ??= request.containerId;
      return request.containerId === unhealthy ? { result: 'failure', output: 'dial tcp 10.42.0.7:8080: connect: connection refused' } : { result: 'success', output: '' };
    };
    const pod = podActor(runtime, 'Always', 'sleep 3600', undefined, { probes: { liveness: probe({ terminationGracePeriodSeconds: 3 }) }, probe: run });
    await waitFor('restarted', () => pod.app()?.restartCount === 1 && pod.app()?.state?.running !== undefined);
    await waitFor('probed again', () => requests.some((r) => r.containerId !== unhealthy));
    expect(stops).toEqual([3]);
    expect(pod.actor.containerId('app')).not.toBe(unhealthy);
    // Its runtime exit event and the check after the stop both saw it exit: one exit, one restart, no back-off.
    const reasons = pod.events.map((e) => e.reason);
    expect(reasons.filter((r) => r === 'Killing')).toHaveLength(1);
    expect(reasons.filter((r) => ['Completed', 'Error', 'OOMKilled'].includes(r))).toHaveLength(1);
    expect(reasons).not.toContain('BackOff');
    expect(pod.errors).toEqual([]);
  });

  it('errors every run without a probe runner, so the container never becomes ready', async () => {
    const pod = podActor(new HollowRuntime(), 'Always', 'sleep 3600', undefined, { probes: { readiness: probe() } });
    await waitFor('the errored run recorded', () => pod.events.some((e) => e.reason === 'Unhealthy'));
    expect(pod.events.find((e) => e.reason === 'Unhealthy')?.message).toBe('Readiness probe errored: no probe runner on this node');
    expect(pod.app()?.ready).toBe(false);
    expect(pod.phase()).toBe('Running');
  });
});
