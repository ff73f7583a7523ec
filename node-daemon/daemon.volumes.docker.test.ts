/**
 * Pod volumes across a daemon restart on real Docker (a test master serving a ConfigMap): an
 * adopted pod keeps its volumes — the tmpfs of a `medium: Memory` emptyDir with what the
 * container wrote in it, the ConfigMap volume, which the new daemon goes on syncing — and
 * deleting the pod afterwards unmounts the tmpfs and removes its files. Every container carries
 * `io.kactus.test=<run>` and is removed afterwards. Without an engine the file skips (fails
 * under CI=true).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp, removeContainersByLabel, TEST_LABEL } from '../test/support/docker.ts';
import { startNodeDaemon, type NodeDaemon } from './daemon.ts';
import { DockerRuntime } from './runtime/docker.ts';
import { TestMaster, waitFor } from './test-master.ts';
import { containerOf, deleting, phaseOf, testPod } from './test-pods.ts';
import { configMap } from './test-objects.ts';
import { mountsUnder, unmountAll } from './volumes/tmpfs.ts';
import { readAll } from '../src/runtime/conformance.ts';

const docker = dockerClient();
const up = await isDockerUp(docker);
if (!up && dockerRequired()) throw new Error('Docker is required (CI=true) but /var/run/docker.sock does not answer');
if (!up) console.warn('daemon.volumes.docker.test.ts: Docker is not running, skipping');

const RUN = `node-volumes-${randomBytes(4).toString('hex')}`;
const RUN_LABEL = `${TEST_LABEL}=${RUN}`;

let master: TestMaster;
let dir: string;
const daemons: NodeDaemon[] = [];
const runtimes: DockerRuntime[] = [];

async function dockerNode(name: string, dataDir: string): Promise<NodeDaemon> {
  const runtime = await DockerRuntime.connect({ node: name, docker, extraLabels: { [TEST_LABEL]: RUN } });
  runtimes.push(runtime);
  const channelsBefore = master.actorChannels.length;
  const d = await startNodeDaemon({ dataDir, join: [master.addr], token: master.token, runtime, name, heartbeatIntervalMs: 500, volumeSyncPeriodMs: 200 });
  daemons.push(d);
  await waitFor('the actor channel', () => master.actorChannels.length > channelsBefore && master.hasChannelFrom(d.peerId));
  return d;
}

/** Runs `sh -c script` in the pod's live `app` container and returns its stdout. */
async function execIn(d: NodeDaemon, containerId: string, script: string): Promise<string> {
  const exec = await d.runtime.exec(containerId, { command: ['sh', '-c', script], stdin: false, tty: false });
  const out = await readAll(exec.stdout);
  await exec.exitCode;
  return out;
}

describe.skipIf(!up)('pod volumes on Docker across a daemon restart', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    master = await TestMaster.start();
    dir = await mkdtemp(join(tmpdir(), 'kactus-node-volumes-docker-'));
  });

  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((d) => d.close()));
    await Promise.all(runtimes.splice(0).map((r) => r.close()));
    await removeContainersByLabel(docker, RUN_LABEL);
  });

  afterAll(async () => {
    await removeContainersByLabel(docker, RUN_LABEL);
    await master?.stop();
    if (dir) {
      await unmountAll(dir);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an adopted pod keeps its tmpfs and ConfigMap volume; deleting it unmounts and removes them', async () => {
    const dataDir = join(dir, 'dv-adopt');
    master.put('configmaps', configMap('default', 'adopt-config', { mode: 'one' }));
    const pod = testPod('dv-adopt', 'keeper', 'Always', [{ name: 'app', script: 'trap "exit 0" TERM; while :; do sleep 1; done' }], {
      terminationGracePeriodSeconds: 1,
      volumes: [
        { name: 'mem', emptyDir: { medium: 'Memory' } },
        { name: 'cfg', configMap: { name: 'adopt-config' } },
      ],
    });
    (pod.spec as { containers: Record<string, unknown>[] }).containers[0]!.volumeMounts = [
      { name: 'mem', mountPath: '/mem' },
      { name: 'cfg', mountPath: '/cfg' },
    ];
    const first = await dockerNode('dv-adopt', dataDir);
    await master.assign(pod);
    await waitFor('Running', () => phaseOf(master.statusOf(pod.metadata.uid)) === 'Running', 30_000);
    const id = containerOf(master.statusOf(pod.metadata.uid), 'app')!.containerID!.replace('docker://', '');
    expect(await execIn(first, id, "grep ' /mem ' /proc/mounts | cut -d' ' -f1,3")).toBe('tmpfs tmpfs\n');
    await execIn(first, id, 'echo remembered > /mem/note');
    const podDir = join(dataDir, 'pods', pod.metadata.uid);
    expect(await mountsUnder(podDir)).toEqual([join(podDir, 'volumes', 'mem')]);

    await first.close({ keepContainers: true });
    daemons.splice(daemons.indexOf(first), 1);
    // The tmpfs outlives the daemon, as the containers do.
    expect(await mountsUnder(podDir)).toEqual([join(podDir, 'volumes', 'mem')]);

    const second = await dockerNode('dv-adopt', dataDir);
    await master.assign(pod);
    await master.sync([pod.metadata.uid]);
    await waitFor('Running again', () => phaseOf(master.statusOf(pod.metadata.uid)) === 'Running', 30_000);
    expect(containerOf(master.statusOf(pod.metadata.uid), 'app')?.containerID).toBe(`docker://${id}`);
    expect(await execIn(second, id, 'cat /mem/note')).toBe('remembered\n');
    expect(await mountsUnder(podDir)).toHaveLength(1);
    // The new daemon syncs the ConfigMap volume it adopted.
    master.put('configmaps', configMap('default', 'adopt-config', { mode: 'two' }));
    await waitFor('the update inside the adopted container', async () => (await execIn(second, id, 'cat /cfg/mode')) === 'two', 15_000);

    await master.assign(deleting(pod, 1));
    await waitFor('pod.terminated', () => master.terminated.some((t) => t.uid === pod.metadata.uid), 30_000);
    expect(await mountsUnder(podDir)).toEqual([]);
    await expect(lstat(podDir)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 90_000);
});
