/**
 * The node daemon on real Docker containers (busybox), driven by a real test master over the
 * mesh: a pod reaching Running, every row of the restart table (DESIGN.md §4) — the container
 * machine's exit guards — with the first restart at once and the second after the 10 s
 * back-off, OOM at 16 MiB, init containers, graceful delete, pods.sync and re-adoption after a
 * daemon restart. Every container carries `io.kactus.test=<run>` and is
 * removed afterwards. Without an engine the file skips (fails under CI=true).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp, removeContainersByLabel, TEST_LABEL } from '../test/support/docker.ts';
import { startNodeDaemon, type NodeDaemon } from './daemon.ts';
import { DockerRuntime } from './runtime/docker.ts';
import { TestMaster, waitFor } from './test-master.ts';
import { containerOf, deleting, phaseOf, testPod, type TestPod } from './test-pods.ts';

const docker = dockerClient();
const up = await isDockerUp(docker);
if (!up && dockerRequired()) throw new Error('Docker is required (CI=true) but /var/run/docker.sock does not answer');
if (!up) console.warn('daemon.docker.test.ts: Docker is not running, skipping');

const RUN = `node-daemon-${randomBytes(4).toString('hex')}`;
const RUN_LABEL = `${TEST_LABEL}=${RUN}`;
/** The second restart waits the 10 s back-off; allow for starting and reporting on a busy machine. */
const RESTART_MS = 30_000;
/** The first restart is at once: well inside the 10 s back-off even on a busy machine. */
const AT_ONCE_MS = 8_000;

let master: TestMaster;
let dir: string;
const daemons: NodeDaemon[] = [];
const runtimes: DockerRuntime[] = [];

async function dockerNode(name: string, dataDir = join(dir, name)): Promise<NodeDaemon> {
  const runtime = await DockerRuntime.connect({ node: name, docker, extraLabels: { [TEST_LABEL]: RUN } });
  runtimes.push(runtime);
  const channelsBefore = master.actorChannels.length;
  const d = await startNodeDaemon({ dataDir, join: [master.addr], token: master.token, runtime, name, heartbeatIntervalMs: 500 });
  daemons.push(d);
  await waitFor('the actor channel', () => master.actorChannels.length > channelsBefore && master.hasChannelFrom(d.peerId));
  return d;
}

/** Containers of a pod in the engine: `[id, state, role]`. */
async function podContainers(uid: string): Promise<{ id: string; state: string; role: string }[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL, `io.kactus.pod-uid=${uid}`] } });
  return list.map((c) => ({ id: c.Id, state: c.State, role: c.Labels['io.kactus.role'] ?? '' }));
}

const statusOf = (pod: TestPod) => master.statusOf(pod.metadata.uid);
const phase = (pod: TestPod) => phaseOf(statusOf(pod));
const restarts = (pod: TestPod, container = 'app') => containerOf(statusOf(pod), container)?.restartCount ?? 0;

describe.skipIf(!up)('node daemon on Docker', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    master = await TestMaster.start();
    dir = await mkdtemp(join(tmpdir(), 'kactus-node-docker-'));
  });

  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((d) => d.close()));
    await Promise.all(runtimes.splice(0).map((r) => r.close()));
    await removeContainersByLabel(docker, RUN_LABEL);
  });

  afterAll(async () => {
    await removeContainersByLabel(docker, RUN_LABEL);
    await master?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a pod: Running with a real container, status flows back, graceful delete ends in pod.terminated', async () => {
    await dockerNode('dk-run');
    const pod = testPod('dk-run', 'hello', 'Always', [{ name: 'app', script: 'echo hello; sleep 3600' }]);
    await master.assign(pod);
    await waitFor('Running', () => phase(pod) === 'Running');
    const app = containerOf(statusOf(pod), 'app')!;
    expect(app.state.running).toBeDefined();
    const id = app.containerID!.replace('docker://', '');
    const containers = await podContainers(pod.metadata.uid);
    expect(containers.find((c) => c.id === id)?.state).toBe('running');
    expect(containers.map((c) => c.role).sort()).toEqual(['container', 'sandbox']);
    expect(master.reasonsOf(pod.metadata.uid)).toEqual(expect.arrayContaining(['SandboxCreated', 'Pulled', 'Created', 'Started']));

    // `sh` as PID 1 ignores SIGTERM: the grace (1 s) runs out and SIGKILL ends it.
    await master.assign(deleting(pod, 1));
    await waitFor('pod.terminated', () => master.terminated.some((t) => t.uid === pod.metadata.uid), 20_000);
    expect(await podContainers(pod.metadata.uid)).toEqual([]);
    expect(master.reasonsOf(pod.metadata.uid)).toContain('Killing');
  });

  it('follows the restart table on real containers', async () => {
    await dockerNode('dk-table');
    const node = 'dk-table';
    const pods = {
      alwaysOk: testPod(node, 'always-ok', 'Always', [{ name: 'app', script: 'exit 0' }]),
      alwaysFail: testPod(node, 'always-fail', 'Always', [{ name: 'app', script: 'exit 1' }]),
      onFailureOk: testPod(node, 'onfailure-ok', 'OnFailure', [{ name: 'app', script: 'exit 0' }]),
      onFailureFail: testPod(node, 'onfailure-fail', 'OnFailure', [{ name: 'app', script: 'exit 1' }]),
      neverOk: testPod(node, 'never-ok', 'Never', [{ name: 'app', script: 'exit 0' }]),
      neverFail: testPod(node, 'never-fail', 'Never', [{ name: 'app', script: 'exit 1' }]),
      twoAlways: testPod(node, 'two-always', 'Always', [
        { name: 'app', script: 'exit 1' },
        { name: 'side', script: 'sleep 3600' },
      ]),
      twoNever: testPod(node, 'two-never', 'Never', [
        { name: 'app', script: 'exit 1' },
        { name: 'side', script: 'sleep 4; exit 2' },
      ]),
    };
    for (const pod of Object.values(pods)) await master.assign(pod);

    await waitFor('OnFailure exit 0 Succeeded', () => phase(pods.onFailureOk) === 'Succeeded');
    await waitFor('Never exit 0 Succeeded', () => phase(pods.neverOk) === 'Succeeded');
    await waitFor('Never exit 1 Failed', () => phase(pods.neverFail) === 'Failed');
    expect(containerOf(statusOf(pods.neverFail), 'app')?.state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });

    // Two containers, Never: the first failing leaves the pod Running until the second fails too.
    await waitFor('two-never: first container failed, pod Running', () => {
      const s = statusOf(pods.twoNever);
      return phaseOf(s) === 'Running' && containerOf(s, 'app')?.state.terminated?.exitCode === 1;
    });
    await waitFor('two-never Failed', () => phase(pods.twoNever) === 'Failed', 15_000);
    expect(containerOf(statusOf(pods.twoNever), 'side')?.state.terminated?.exitCode).toBe(2);

    // Restarting rows: the first restart at once, then CrashLoopBackOff and the second after 10 s, still Running.
    const restarting = [
      [pods.alwaysOk, 'app'],
      [pods.alwaysFail, 'app'],
      [pods.onFailureFail, 'app'],
      [pods.twoAlways, 'app'],
    ] as const;
    for (const [pod, container] of restarting) {
      await waitFor(`${pod.metadata.name} restarted at once`, () => restarts(pod, container) >= 1, AT_ONCE_MS);
    }
    await waitFor('CrashLoopBackOff', () => containerOf(statusOf(pods.alwaysFail), 'app')?.state.waiting?.reason === 'CrashLoopBackOff');
    expect(phase(pods.alwaysFail)).toBe('Running');
    for (const [pod, container] of restarting) {
      await waitFor(`${pod.metadata.name} restarted after the back-off`, () => restarts(pod, container) >= 2, RESTART_MS);
      expect(phase(pod)).toBe('Running');
      expect(master.reasonsOf(pod.metadata.uid)).toEqual(expect.arrayContaining(['BackOff', 'Restarting']));
    }
    expect(restarts(pods.twoAlways, 'side')).toBe(0);
    expect(containerOf(statusOf(pods.twoAlways), 'side')?.state.running).toBeDefined();
    // No restarts where the table says none.
    for (const pod of [pods.onFailureOk, pods.neverOk, pods.neverFail, pods.twoNever]) expect(restarts(pod)).toBe(0);
  }, 60_000);

  it('OOM at 16 MiB: OOMKilled event; Always restarts, Never fails', async () => {
    await dockerNode('dk-oom');
    const hog = { name: 'app', script: 'x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done', memoryLimit: '16Mi' };
    const always = testPod('dk-oom', 'oom-always', 'Always', [hog]);
    const never = testPod('dk-oom', 'oom-never', 'Never', [hog]);
    await master.assign(always);
    await master.assign(never);
    await waitFor('Never OOM Failed', () => phase(never) === 'Failed', 20_000);
    expect(containerOf(statusOf(never), 'app')?.state.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    expect(master.reasonsOf(never.metadata.uid)).toContain('OOMKilled');
    await waitFor('Always OOM restarted', () => restarts(always) >= 1, RESTART_MS);
    expect(phase(always)).toBe('Running');
    // It is OOM-killed again at once: the second restart backs off.
    await waitFor('Always OOM backing off', () => master.reasonsOf(always.metadata.uid).includes('BackOff'), RESTART_MS);
    expect(master.reasonsOf(always.metadata.uid)).toEqual(expect.arrayContaining(['OOMKilled', 'BackOff']));
  }, 45_000);

  it('runs init containers one at a time, in order, to completion, before the containers; a sidecar beside them', async () => {
    const dataDir = join(dir, 'dk-init');
    await dockerNode('dk-init', dataDir);
    const mount = [{ name: 'work', mountPath: '/work' }];
    const step = (name: string, script: string) => ({ name, image: 'busybox:latest', command: ['sh', '-c', script], volumeMounts: mount });
    const pod = testPod('dk-init', 'init', 'Always', [], {
      initContainers: [step('first', 'echo first >> /work/log; sleep 1'), step('second', 'echo second >> /work/log')],
      containers: [step('app', 'echo app >> /work/log; sleep 3600')],
      volumes: [{ name: 'work', emptyDir: {} }],
    });
    const failing = testPod('dk-init', 'init-fails', 'Never', [{ name: 'app', script: 'sleep 3600' }], {
      initContainers: [step('check', 'exit 4')],
      volumes: [{ name: 'work', emptyDir: {} }],
    });
    // A sidecar runs beside the container and is stopped once the container is done.
    const withSidecar = testPod('dk-init', 'sidecar', 'Never', [{ name: 'app', script: 'sleep 2; exit 0' }], {
      initContainers: [{ name: 'proxy', image: 'busybox:latest', restartPolicy: 'Always', command: ['sh', '-c', 'sleep 3600'] }],
      terminationGracePeriodSeconds: 1,
    });
    await master.assign(pod);
    await master.assign(failing);
    await master.assign(withSidecar);
    await waitFor('Running after its init containers', () => phase(pod) === 'Running', 30_000);
    const status = statusOf(pod) as { initContainerStatuses: { name: string; state: { terminated?: { exitCode: number; reason: string; startedAt: string; finishedAt: string } } }[] };
    const [first, second] = status.initContainerStatuses.map((c) => c.state.terminated!);
    expect([first!.reason, first!.exitCode, second!.reason, second!.exitCode]).toEqual(['Completed', 0, 'Completed', 0]);
    expect(Date.parse(second!.startedAt)).toBeGreaterThanOrEqual(Date.parse(first!.finishedAt));
    await waitFor('the app wrote after them', async () => (await readFile(join(dataDir, 'pods', pod.metadata.uid, 'volumes', 'work', 'log'), 'utf8').catch(() => '')) === 'first\nsecond\napp\n');
    // Their Events name them as init containers.
    expect(master.events.some((e) => e.involvedObject.uid === pod.metadata.uid && e.involvedObject.fieldPath === 'spec.initContainers{first}' && e.reason === 'Started')).toBe(true);

    // Never: an init container that fails fails the pod; its container never starts.
    await waitFor('Failed by its init container', () => phase(failing) === 'Failed', 20_000);
    const failed = statusOf(failing) as { initContainerStatuses: { state: { terminated?: { exitCode: number } } }[]; containerStatuses: { state: { waiting?: { reason: string } } }[] };
    expect(failed.initContainerStatuses[0]!.state.terminated?.exitCode).toBe(4);
    expect(failed.containerStatuses[0]!.state.waiting?.reason).toBe('PodInitializing');
    expect((await podContainers(failing.metadata.uid)).map((c) => c.role).sort()).toEqual(['container', 'sandbox']);

    await waitFor('the sidecar pod Succeeded', () => phase(withSidecar) === 'Succeeded', 30_000);
    await waitFor('its sidecar stopped', () => {
      const proxy = (statusOf(withSidecar) as { initContainerStatuses?: { state: { terminated?: unknown } }[] } | undefined)?.initContainerStatuses?.[0];
      return proxy?.state.terminated !== undefined;
    }, 20_000);
    expect(phase(withSidecar)).toBe('Succeeded');
    expect((await podContainers(withSidecar.metadata.uid)).every((c) => c.state !== 'running')).toBe(true);
  }, 60_000);

  it('pods.sync removes the containers of a pod the master no longer lists', async () => {
    await dockerNode('dk-sync');
    const keep = testPod('dk-sync', 'keep', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    const drop = testPod('dk-sync', 'drop', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await master.assign(keep);
    await master.assign(drop);
    await waitFor('both Running', () => phase(keep) === 'Running' && phase(drop) === 'Running');
    await master.sync([keep.metadata.uid]);
    await waitFor('drop removed', async () => (await podContainers(drop.metadata.uid)).length === 0);
    expect((await podContainers(keep.metadata.uid)).every((c) => c.state === 'running')).toBe(true);
  });

  it('re-adopts running containers after a daemon restart instead of creating new ones', async () => {
    const dataDir = join(dir, 'dk-adopt');
    const first = await dockerNode('dk-adopt', dataDir);
    const pod = testPod('dk-adopt', 'stay', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    const orphan = testPod('dk-adopt', 'orphan', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    await master.assign(pod);
    await master.assign(orphan);
    await waitFor('Running', () => phase(pod) === 'Running' && phase(orphan) === 'Running');
    const id = containerOf(statusOf(pod), 'app')!.containerID!;
    const before = await podContainers(pod.metadata.uid);

    await first.close({ keepContainers: true });
    daemons.splice(daemons.indexOf(first), 1);
    expect((await podContainers(pod.metadata.uid)).every((c) => c.state === 'running')).toBe(true);

    const statusesBefore = master.statuses.length;
    await dockerNode('dk-adopt', dataDir);
    // The master re-assigns what it still has and lists it: the orphan is not listed.
    await master.assign(pod);
    await master.sync([pod.metadata.uid]);
    await waitFor('a fresh Running status', () =>
      master.statuses.slice(statusesBefore).some((s) => s.uid === pod.metadata.uid && phaseOf(s.status) === 'Running'),
    );
    expect(containerOf(statusOf(pod), 'app')?.containerID).toBe(id);
    expect(restarts(pod)).toBe(0);
    const after = await podContainers(pod.metadata.uid);
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    expect(after.every((c) => c.state === 'running')).toBe(true);
    await waitFor('orphan removed', async () => (await podContainers(orphan.metadata.uid)).length === 0);
  });
});
