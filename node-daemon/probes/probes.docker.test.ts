/**
 * Probes on real Docker containers (busybox) on a bridge network of this test's own (internal:
 * no traffic leaves it; the daemon reaches pods by their IP on it):
 * - the pod actor alone (PodRuntimeActor + DockerRuntime + the node's runners), timed: from a
 *   readiness file's removal to the status write, and from the probe's result to the write;
 * - the node daemon under a real test master over the mesh: an exec readiness probe
 *   (`test -f /tmp/ready`) going Ready and NotReady, an httpGet readiness probe against
 *   `httpd -f -p 8080` in the pod (by named port), the same on a pod re-adopted after a daemon
 *   restart, a failing liveness probe restarting the container, and a startup probe holding the
 *   liveness probe back.
 * Every container carries `io.kactus.test=<run>` and is removed afterwards, then the network.
 * Without an engine the file skips (fails under CI=true).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { PodRuntimeActor } from '../../src/actors/pod/effects.ts';
import type { ContainerProbes, ProbeOutcome, ProbeRunner } from '../../src/actors/pod/probe-spec.ts';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp, removeContainersByLabel, TEST_LABEL } from '../../test/support/docker.ts';
import { startNodeDaemon, type NodeDaemon } from '../daemon.ts';
import { DockerRuntime } from '../runtime/docker.ts';
import { TestMaster, waitFor } from '../test-master.ts';
import { containerOf, testPod, type TestPod } from '../test-pods.ts';
import { createProbeRunner } from './runner.ts';

const docker = dockerClient();
const up = await isDockerUp(docker);
if (!up && dockerRequired()) throw new Error('Docker is required (CI=true) but /var/run/docker.sock does not answer');
if (!up) console.warn('probes.docker.test.ts: Docker is not running, skipping');

const RUN = `probes-${randomBytes(4).toString('hex')}`;
const RUN_LABEL = `${TEST_LABEL}=${RUN}`;
const NETWORK = `kactus-${RUN}`;
/** A liveness kill waits the 10 s back-off before the restart; allow for a busy machine. */
const RESTART_MS = 40_000;

let master: TestMaster;
let dir: string;
const daemons: NodeDaemon[] = [];
const runtimes: DockerRuntime[] = [];

async function dockerRuntime(node: string): Promise<DockerRuntime> {
  const runtime = await DockerRuntime.connect({ node, docker, defaultNetwork: NETWORK, extraLabels: { [TEST_LABEL]: RUN } });
  runtimes.push(runtime);
  return runtime;
}

async function startDaemon(name: string): Promise<{ runtime: DockerRuntime; daemon: NodeDaemon }> {
  const runtime = await dockerRuntime(name);
  const channelsBefore = master.actorChannels.length;
  const daemon = await startNodeDaemon({ dataDir: join(dir, name), join: [master.addr], token: master.token, runtime, name, heartbeatIntervalMs: 500 });
  daemons.push(daemon);
  await waitFor('the actor channel', () => master.actorChannels.length > channelsBefore && master.hasChannelFrom(daemon.peerId));
  return { runtime, daemon };
}

async function dockerNode(name: string): Promise<DockerRuntime> {
  return (await startDaemon(name)).runtime;
}

/** A pod serving `/healthz` with busybox httpd on its port `http` (8080), probed for readiness there. */
function httpdPod(node: string, name: string): TestPod {
  const pod = testPod(node, name, 'Always', [{ name: 'web', script: 'mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www' }]);
  const web = (pod.spec.containers as Record<string, unknown>[])[0]!;
  web.ports = [{ name: 'http', containerPort: 8080 }];
  web.readinessProbe = { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 };
  return pod;
}

/** Runs a command in a container to completion; its exit code. */
async function execIn(runtime: DockerRuntime, containerID: string, command: string[]): Promise<number> {
  const proc = await runtime.exec(containerID.replace('docker://', ''), { command, stdin: false, tty: false });
  proc.stdout.resume();
  proc.stderr?.resume();
  return proc.exitCode;
}

function isReady(status: PodStatus | Record<string, unknown> | undefined): boolean {
  const conditions = (status as PodStatus | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

const statusOf = (pod: TestPod) => master.statusOf(pod.metadata.uid);
const messagesOf = (pod: TestPod, reason: string) =>
  master.events.filter((e) => e.involvedObject.uid === pod.metadata.uid && e.reason === reason).map((e) => e.message);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe.skipIf(!up)('probes on Docker', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    await docker.createNetwork({ Name: NETWORK, Driver: 'bridge', Internal: true, Labels: { [TEST_LABEL]: RUN } });
    master = await TestMaster.start();
    dir = await mkdtemp(join(tmpdir(), 'kactus-probes-docker-'));
  });

  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((d) => d.close()));
    await Promise.all(runtimes.splice(0).map((r) => r.close()));
    await removeContainersByLabel(docker, RUN_LABEL);
  });

  afterAll(async () => {
    await removeContainersByLabel(docker, RUN_LABEL);
    await docker.getNetwork(NETWORK).remove().catch(() => {});
    await master?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes NotReady within one period of the readiness file going, and within milliseconds of the probe result', async () => {
    const runtime = await dockerRuntime('pr-timing');
    const pod = { uid: `timing-${RUN}`, namespace: 'default', name: 'timing' };
    const periodSeconds = 1;
    const probes: ContainerProbes = {
      readiness: { handler: { type: 'exec', command: ['test', '-f', '/tmp/ready'] }, initialDelaySeconds: 0, periodSeconds, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 },
    };
    // Every run's end and every status write, timed on one clock.
    const results: { at: number; tookMs: number; outcome: ProbeOutcome }[] = [];
    const writes: { at: number; ready: boolean }[] = [];
    const runner = createProbeRunner(runtime);
    const timed: ProbeRunner = async (request, signal) => {
      const started = performance.now();
      const outcome = await runner(request, signal);
      results.push({ at: performance.now(), tookMs: performance.now() - started, outcome });
      return outcome;
    };
    const errors: unknown[] = [];
    const actor = new PodRuntimeActor(
      { ...pod, nodeName: 'pr-timing', restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'busybox:latest', probes }] },
      {
        runtime,
        pod,
        specs: new Map([['app', { name: 'app', image: 'busybox:latest', command: ['sleep', '3600'] }]]),
        volumes: [],
        prepareVolumes: async () => {},
        removeVolumes: async () => {},
        probe: timed,
        onEvent: () => {},
        onStatus: (status) => writes.push({ at: performance.now(), ready: isReady(status) }),
        onRemoved: () => {},
        onError: (err) => errors.push(err),
      },
    );
    const unsubscribe = runtime.onEvent((e) => {
      if (e.podUid === pod.uid) actor.handleRuntimeEvent(e);
    });
    try {
      actor.start();
      await waitFor('Running', () => actor.status().phase === 'Running', 20_000);
      expect(actor.status().podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(isReady(actor.status())).toBe(false);
      const id = actor.containerId('app')!;
      const toStatus: number[] = [];
      const fromResult: number[] = [];
      const toReady: number[] = [];
      for (let flip = 0; flip < 5; flip++) {
        const touched = performance.now();
        await execIn(runtime, id, ['touch', '/tmp/ready']);
        await waitFor('Ready', () => writes.at(-1)?.ready === true, 5_000, 2);
        toReady.push(writes.at(-1)!.at - touched);
        await execIn(runtime, id, ['rm', '/tmp/ready']);
        const removed = performance.now();
        await waitFor('NotReady', () => writes.at(-1)?.ready === false, 5_000, 2);
        const write = writes.at(-1)!;
        const result = results.filter((r) => r.at <= write.at && r.outcome.result === 'failure').at(-1)!;
        toStatus.push(write.at - removed);
        fromResult.push(write.at - result.at);
      }
      const round = (xs: number[]) => xs.map((x) => Math.round(x * 10) / 10);
      console.log(
        `probe timing (period ${periodSeconds}s, exec probe on Docker): removal → NotReady write ms ${JSON.stringify(round(toStatus))} (median ${Math.round(median(toStatus))}); ` +
          `probe result → write ms ${JSON.stringify(round(fromResult))}; touch → Ready write ms ${JSON.stringify(round(toReady))}; ` +
          `one exec probe run takes ms (median of ${results.length}) ${Math.round(median(results.map((r) => r.tookMs)))}`,
      );
      // One period plus the probe's own run (a docker exec) and a busy machine's slack.
      for (const ms of toStatus) expect(ms).toBeLessThan(periodSeconds * 1000 + 750);
      // The status is written in the transition that takes the result: no batching.
      for (const ms of fromResult) expect(ms).toBeLessThan(20);
      expect(errors).toEqual([]);
    } finally {
      unsubscribe();
      await actor.teardown();
    }
  }, 60_000);

  it('exec readiness: Running but not Ready until the file exists, NotReady once it goes, with Unhealthy Events', async () => {
    const runtime = await dockerNode('pr-exec');
    const pod = testPod('pr-exec', 'ready-file', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    (pod.spec.containers as Record<string, unknown>[])[0]!.readinessProbe = { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 };
    await master.assign(pod);
    await waitFor('Running and probed', () => statusOf(pod)?.phase === 'Running' && messagesOf(pod, 'Unhealthy').length > 0, 20_000);
    expect(isReady(statusOf(pod))).toBe(false);
    expect(containerOf(statusOf(pod), 'app')).toMatchObject({ ready: false, started: true });
    expect(messagesOf(pod, 'Unhealthy')[0]).toBe('Readiness probe failed: ');
    const id = containerOf(statusOf(pod), 'app')!.containerID!;

    await execIn(runtime, id, ['touch', '/tmp/ready']);
    await waitFor('Ready', () => isReady(statusOf(pod)), 5_000);
    expect(containerOf(statusOf(pod), 'app')).toMatchObject({ ready: true });

    await execIn(runtime, id, ['rm', '/tmp/ready']);
    const removed = Date.now();
    await waitFor('NotReady', () => !isReady(statusOf(pod)), 5_000, 2);
    const ms = Date.now() - removed;
    console.log(`probe timing through the mesh: removal → master has NotReady in ${ms} ms (period 1 s)`);
    expect(ms).toBeLessThan(1000 + 750);
    const ready = (statusOf(pod) as PodStatus).conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
  }, 40_000);

  it('httpGet readiness against httpd in the pod, by named port: Ready, NotReady on 404, Ready again', async () => {
    const runtime = await dockerNode('pr-http');
    const pod = httpdPod('pr-http', 'httpd');
    await master.assign(pod);
    await waitFor('Ready', () => isReady(statusOf(pod)), 20_000);
    const id = containerOf(statusOf(pod), 'web')!.containerID!;

    await execIn(runtime, id, ['rm', '/www/healthz']);
    await waitFor('NotReady', () => !isReady(statusOf(pod)), 5_000);
    expect(messagesOf(pod, 'Unhealthy')).toContain('Readiness probe failed: HTTP probe failed with statuscode: 404');

    await execIn(runtime, id, ['sh', '-c', 'echo ok > /www/healthz']);
    await waitFor('Ready again', () => isReady(statusOf(pod)), 5_000);
    expect(statusOf(pod)?.phase).toBe('Running');
  }, 40_000);

  it('probes a re-adopted pod by its IP after a daemon restart', async () => {
    const { daemon: first } = await startDaemon('pr-adopt');
    const pod = httpdPod('pr-adopt', 'adopted');
    await master.assign(pod);
    await waitFor('Ready', () => isReady(statusOf(pod)), 20_000);
    const { podIP } = statusOf(pod) as PodStatus;
    const id = containerOf(statusOf(pod), 'web')!.containerID;

    await first.close({ keepContainers: true });
    daemons.splice(daemons.indexOf(first), 1);
    const statusesBefore = master.statuses.length;
    await startDaemon('pr-adopt');
    await master.assign(pod);
    await master.sync([pod.metadata.uid]);
    await waitFor('Ready again, reported by the new daemon', () =>
      master.statuses.slice(statusesBefore).some((s) => s.uid === pod.metadata.uid && isReady(s.status)),
    20_000);
    expect((statusOf(pod) as PodStatus).podIP).toBe(podIP);
    expect(containerOf(statusOf(pod), 'web')).toMatchObject({ containerID: id, restartCount: 0 });
  }, 60_000);

  it('a failing liveness probe kills the container and it restarts (restartCount 1, Unhealthy then Killing)', async () => {
    const runtime = await dockerNode('pr-live');
    const pod = testPod('pr-live', 'liveness', 'Always', [{ name: 'app', script: 'touch /tmp/healthy; sleep 3600' }]);
    (pod.spec.containers as Record<string, unknown>[])[0]!.livenessProbe = {
      exec: { command: ['cat', '/tmp/healthy'] },
      periodSeconds: 1,
      failureThreshold: 2,
      terminationGracePeriodSeconds: 1,
    };
    await master.assign(pod);
    await waitFor('Running', () => statusOf(pod)?.phase === 'Running' && isReady(statusOf(pod)), 20_000);
    const first = containerOf(statusOf(pod), 'app')!.containerID!;

    await execIn(runtime, first, ['rm', '/tmp/healthy']);
    await waitFor('restarted', () => (containerOf(statusOf(pod), 'app')?.restartCount ?? 0) >= 1 && isReady(statusOf(pod)), RESTART_MS);
    const app = containerOf(statusOf(pod), 'app')!;
    expect(app.containerID).not.toBe(first);
    expect(app.state.running).toBeDefined();
    const reasons = master.reasonsOf(pod.metadata.uid);
    const killing = reasons.indexOf('Killing');
    expect(reasons.slice(killing - 2, killing + 1)).toEqual(['Unhealthy', 'Unhealthy', 'Killing']);
    expect(messagesOf(pod, 'Unhealthy')).toContain("Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n");
    expect(messagesOf(pod, 'Killing')).toEqual(['Container app failed liveness probe, will be restarted']);
    // The killed run ended by SIGKILL once the probe's 1 s grace ran out (sh as PID 1 ignores SIGTERM).
    expect((app as unknown as { lastState: { terminated?: { exitCode: number } } }).lastState.terminated?.exitCode).toBe(137);
    // Its first crash: restarted at once, no back-off.
    expect(reasons.slice(killing)).toEqual(expect.arrayContaining(['Error', 'Started']));
    expect(reasons.slice(killing)).not.toContain('BackOff');
  }, RESTART_MS + 20_000);

  it('a startup probe holds the liveness probe back until it passes', async () => {
    await dockerNode('pr-start');
    const pod = testPod('pr-start', 'slow-start', 'Always', [{ name: 'app', script: 'sleep 3; touch /tmp/started; sleep 3600' }]);
    const app = (pod.spec.containers as Record<string, unknown>[])[0]!;
    app.startupProbe = { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 10 };
    // Without the startup probe's gate this liveness probe would kill the container at its first run.
    app.livenessProbe = { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 1 };
    await master.assign(pod);
    await waitFor('Running, not started', () => statusOf(pod)?.phase === 'Running', 20_000);
    expect(containerOf(statusOf(pod), 'app')).toMatchObject({ started: false, ready: false });
    await waitFor('started and Ready', () => isReady(statusOf(pod)), 20_000);
    expect(containerOf(statusOf(pod), 'app')).toMatchObject({ started: true, ready: true, restartCount: 0 });
    expect(messagesOf(pod, 'Unhealthy').length).toBeGreaterThan(0);
    expect(messagesOf(pod, 'Unhealthy').every((m) => m.startsWith('Startup probe failed: '))).toBe(true);
    expect(messagesOf(pod, 'Killing')).toEqual([]);
  }, 40_000);
});
