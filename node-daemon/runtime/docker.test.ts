import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BUSYBOX_IMAGE, TEST_LABEL, dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp, listContainersByLabel, removeContainersByLabel } from '../../test/support/docker.ts';
import { readAll, runtimeConformance, waitExited } from '../../src/runtime/conformance.ts';
import { DockerRuntime } from './docker.ts';
import { LABELS } from './docker-spec.ts';
import { ContainerNotFoundError, ContainerStartError } from '../../src/runtime/errors.ts';
import type { RuntimeEvent } from '../../src/runtime/types.ts';

const docker = dockerClient();
const dockerUp = await isDockerUp(docker);
if (!dockerUp && dockerRequired()) throw new Error('CI=true and Docker does not answer at /var/run/docker.sock');
if (!dockerUp) console.warn('docker.test.ts: Docker does not answer at /var/run/docker.sock; skipping the Docker runtime tests');

/** Every container of this file carries `io.kactus.test=<run>`; afterAll checks none is left. */
const run = `runtime-${process.pid}-${randomBytes(3).toString('hex')}`;
const testLabel = { [TEST_LABEL]: run };
const newNode = () => `node-${randomBytes(4).toString('hex')}`;

describe.runIf(dockerUp)('DockerRuntime', () => {
  beforeAll(async () => {
    await ensureBusyboxImage(docker);
  });

  afterAll(async () => {
    await removeContainersByLabel(docker, `${TEST_LABEL}=${run}`);
    expect(await listContainersByLabel(docker, `${TEST_LABEL}=${run}`)).toEqual([]);
  });

  runtimeConformance('docker', async () => {
    const node = newNode();
    const connect = () => DockerRuntime.connect({ node, docker, extraLabels: testLabel });
    const opened = [await connect()];
    return {
      runtime: opened[0]!,
      image: BUSYBOX_IMAGE,
      missingImage: 'kactus-test/no-such-image:1',
      capabilities: { executes: true, containersSurviveReopen: true, enforcesReadOnly: true },
      async reopen() {
        await opened.at(-1)!.close();
        opened.push(await connect());
        return opened.at(-1)!;
      },
      async cleanup() {
        await Promise.all(opened.map((r) => r.close()));
        await removeContainersByLabel(docker, `${LABELS.node}=${node}`);
      },
    };
  });

  describe('docker only', () => {
    let runtime: DockerRuntime;
    let node: string;
    const dirs: string[] = [];
    const others: DockerRuntime[] = [];

    const connect = async (nodeName: string) => DockerRuntime.connect({ node: nodeName, docker, extraLabels: testLabel });
    const pod = (name: string) => ({ uid: `uid-${randomBytes(4).toString('hex')}`, namespace: 'test', name });

    afterEach(async () => {
      await runtime.close();
      await Promise.all(others.splice(0).map((r) => r.close()));
      await removeContainersByLabel(docker, `${TEST_LABEL}=${run}`);
      await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    });

    const setUp = async () => {
      node = newNode();
      runtime = await connect(node);
    };

    it('OOM-kills a container over its 16 MB limit: exit 137, oomKilled, and an oom event', async () => {
      await setUp();
      const events: RuntimeEvent[] = [];
      runtime.onEvent((e) => events.push(e));
      const { sandboxId } = await runtime.createSandbox(pod('oom'));
      const id = await runtime.createContainer(
        sandboxId,
        { name: 'hog', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'x=a; while :; do x="$x$x"; done'], resources: { memoryLimitBytes: 16 * 1024 * 1024 } },
        [],
      );
      await runtime.startContainer(id);
      expect(await waitExited(runtime, id)).toMatchObject({ exitCode: 137, oomKilled: true, reason: 'OOMKilled' });
      await vi.waitFor(() => {
        const mine = events.filter((e) => e.containerId === id);
        expect(mine.map((e) => e.type)).toEqual(['started', 'oom', 'exited']);
        expect(mine[2]).toMatchObject({ exitCode: 137, containerName: 'hog' });
      }, { timeout: 10_000, interval: 20 });
    });

    it('puts a pod\'s containers in one network namespace: localhost, IP and hostname are shared', async () => {
      await setUp();
      const { sandboxId, ip } = await runtime.createSandbox({ ...pod('net'), hostname: 'web-0' });
      expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      // The handler reads the line before closing, so the client cannot see EOF before it has sent.
      const server = await runtime.createContainer(
        sandboxId,
        { name: 'server', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'hostname; nc -l -p 8080 -e sh -c "read line; echo got:\\$line >&2"'] },
        [],
      );
      await runtime.startContainer(server);
      const client = await runtime.createContainer(
        sandboxId,
        { name: 'client', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'until echo hello-over-localhost | nc 127.0.0.1 8080; do sleep 0.1; done'] },
        [],
      );
      await runtime.startContainer(client);
      expect((await waitExited(runtime, client)).exitCode).toBe(0);
      expect((await waitExited(runtime, server)).exitCode).toBe(0);
      expect(await readAll(await runtime.logs(server, { follow: false }))).toBe('web-0\ngot:hello-over-localhost\n');
    });

    it('has no IP on the `none` network', async () => {
      await setUp();
      const sandbox = await runtime.createSandbox(pod('isolated'), { network: 'none' });
      expect(sandbox.ip).toBeUndefined();
    });

    it('applies memory and CPU limits, namespaces, mounts and labels to the container', async () => {
      await setUp();
      const dir = await mkdtemp(join(tmpdir(), 'kactus-emptydir-'));
      dirs.push(dir);
      const ref = pod('limits');
      const { sandboxId } = await runtime.createSandbox(ref);
      const id = await runtime.createContainer(
        sandboxId,
        {
          name: 'limited',
          image: BUSYBOX_IMAGE,
          command: ['true'],
          resources: { memoryLimitBytes: 64 * 1024 * 1024, cpuRequestMillis: 250, cpuLimitMillis: 500 },
          volumeMounts: [{ name: 'cache', mountPath: '/cache', readOnly: true }],
        },
        [{ name: 'cache', hostPath: dir }],
      );
      const info = await docker.getContainer(id).inspect();
      expect(info.HostConfig).toMatchObject({
        Memory: 64 * 1024 * 1024,
        MemorySwap: 64 * 1024 * 1024,
        CpuShares: 256,
        CpuPeriod: 100_000,
        CpuQuota: 50_000,
        NetworkMode: `container:${sandboxId}`,
        IpcMode: `container:${sandboxId}`,
        Binds: [`${dir}:/cache:ro`],
      });
      expect(info.Config.Labels).toMatchObject({
        [LABELS.node]: node,
        [LABELS.podUid]: ref.uid,
        [LABELS.podName]: ref.name,
        [LABELS.namespace]: ref.namespace,
        [LABELS.containerName]: 'limited',
        [LABELS.role]: 'container',
        [TEST_LABEL]: run,
      });
      expect((await docker.getContainer(sandboxId).inspect()).Config.Labels).toMatchObject({ [LABELS.role]: 'sandbox', [LABELS.podUid]: ref.uid });
    });

    it('keeps two nodes on one engine apart: neither lists, inspects nor hears the other\'s pods', async () => {
      await setUp();
      const other = await connect(newNode());
      others.push(other);
      const heardByOther: RuntimeEvent[] = [];
      other.onEvent((e) => heardByOther.push(e));
      const heardByMine: RuntimeEvent[] = [];
      runtime.onEvent((e) => heardByMine.push(e));

      const ref = pod('mine');
      const { sandboxId } = await runtime.createSandbox(ref);
      const id = await runtime.createContainer(sandboxId, { name: 'c', image: BUSYBOX_IMAGE, command: ['true'] }, []);
      await runtime.startContainer(id);
      await waitExited(runtime, id);
      await vi.waitFor(() => expect(heardByMine.some((e) => e.containerId === id && e.type === 'exited')).toBe(true), { timeout: 10_000, interval: 20 });

      expect((await runtime.listPods()).map((p) => p.podUid)).toEqual([ref.uid]);
      expect(await other.listPods()).toEqual([]);
      await expect(other.inspectContainer(id)).rejects.toBeInstanceOf(ContainerNotFoundError);
      await other.removeSandbox(sandboxId);
      expect((await runtime.inspectContainer(id)).state).toBe('exited');
      expect(heardByOther).toEqual([]);
    });

    it('sizes an exec\'s terminal, and resizing one that has exited is a no-op', async () => {
      await setUp();
      const { sandboxId } = await runtime.createSandbox(pod('tty'));
      const id = await runtime.createContainer(sandboxId, { name: 'c', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done'] }, []);
      await runtime.startContainer(id);
      const exec = await runtime.exec(id, { command: ['sh', '-c', 'read line; stty size'], stdin: true, tty: true });
      // At once, as kubectl sends the first size (the engine waits for the exec to start).
      await exec.resize(100, 40);
      const output = readAll(exec.stdout);
      exec.stdin!.write('\n');
      expect(await output).toContain('40 100');
      expect(await exec.exitCode).toBe(0);
      await exec.resize(80, 24);
    });

    it('reports a command that cannot run as ContainerStartError', async () => {
      await setUp();
      const { sandboxId } = await runtime.createSandbox(pod('bad'));
      const id = await runtime.createContainer(sandboxId, { name: 'bad', image: BUSYBOX_IMAGE, command: ['/no/such/binary'] }, []);
      await expect(runtime.startContainer(id)).rejects.toBeInstanceOf(ContainerStartError);
    });
  });
});
