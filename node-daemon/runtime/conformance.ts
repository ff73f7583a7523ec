/**
 * One conformance suite for every ContainerRuntime: the behaviour the pod worker relies on.
 * Each runtime's test file calls `runtimeConformance(name, makeHarness)`. Checks that need a
 * command to really run (files, output, signals) are gated on `capabilities.executes`, which the
 * hollow runtime lacks; everything else (lifecycle, exit codes, re-adoption, images, errors)
 * holds for all three.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ContainerNotFoundError, ImageNotPresentError, SandboxNotFoundError } from './errors.ts';
import type { ContainerRuntime, ContainerSpec, ContainerStatus, HostVolume, PodRef, RuntimeEvent } from './types.ts';

export interface ConformanceCapabilities {
  /** Commands really run: files, output and signal handling can be checked. */
  executes: boolean;
  /** Containers keep running when their runtime instance is closed and another opened (Docker); otherwise they are found exited. */
  containersSurviveReopen: boolean;
}

export interface ConformanceHarness {
  runtime: ContainerRuntime;
  /** An image the runtime holds. */
  image: string;
  /** An image it does not hold. */
  missingImage: string;
  capabilities: ConformanceCapabilities;
  /** Close `runtime` and open a new instance on the same engine, data dir and node. */
  reopen(): Promise<ContainerRuntime>;
  /** Remove everything the harness made (containers, dirs) and close every instance it opened. */
  cleanup(): Promise<void>;
}

const WAIT = { timeout: 15_000, interval: 20 };

/** Read a stream to its end as text. */
export async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  return text;
}

/** Wait until a container has exited and return its status. */
export async function waitExited(runtime: ContainerRuntime, id: string): Promise<ContainerStatus> {
  return vi.waitFor(async () => {
    const status = await runtime.inspectContainer(id);
    if (status.state !== 'exited') throw new Error(`container ${id} is ${status.state}`);
    return status;
  }, WAIT);
}

export function runtimeConformance(name: string, makeHarness: () => Promise<ConformanceHarness>): void {
  describe(`ContainerRuntime conformance: ${name}`, () => {
    let h: ConformanceHarness;
    let runtime: ContainerRuntime;
    let podCounter = 0;
    const tempDirs: string[] = [];

    beforeEach(async () => {
      h = await makeHarness();
      runtime = h.runtime;
    });

    afterEach(async () => {
      await h.cleanup();
      await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    });

    const newPod = (): PodRef => ({ uid: `uid-${process.pid}-${Date.now()}-${podCounter++}`, namespace: 'default', name: `pod-${podCounter}` });
    const spec = (containerName: string, command: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
      name: containerName,
      image: h.image,
      command,
      ...extra,
    });
    const run = async (sandboxId: string, s: ContainerSpec, volumes: HostVolume[] = []): Promise<string> => {
      const id = await runtime.createContainer(sandboxId, s, volumes);
      await runtime.startContainer(id);
      return id;
    };
    const emptyDir = async (): Promise<HostVolume> => {
      const dir = await mkdtemp(join(tmpdir(), 'kactus-emptydir-'));
      tempDirs.push(dir);
      return { name: 'data', hostPath: dir };
    };

    it('reports the name it was made as', () => {
      expect(runtime.name).toBe(name);
    });

    it('reports images present or absent and never throws for a missing one', async () => {
      await expect(runtime.ensureImage(h.image)).resolves.toBe('present');
      await expect(runtime.ensureImage(h.missingImage)).resolves.toBe('absent');
      const { sandboxId } = await runtime.createSandbox(newPod());
      await expect(runtime.createContainer(sandboxId, { name: 'c', image: h.missingImage, command: ['true'] }, [])).rejects.toBeInstanceOf(ImageNotPresentError);
    });

    it('propagates exit codes to inspect and to events', async () => {
      const events: RuntimeEvent[] = [];
      const unsubscribe = runtime.onEvent((e) => events.push(e));
      const pod = newPod();
      const { sandboxId } = await runtime.createSandbox(pod);
      const failing = await runtime.createContainer(sandboxId, spec('failing', ['sh', '-c', 'exit 3']), []);
      expect((await runtime.inspectContainer(failing)).state).toBe('created');
      await runtime.startContainer(failing);
      const succeeding = await run(sandboxId, spec('succeeding', ['sh', '-c', 'exit 0']));

      const failed = await waitExited(runtime, failing);
      expect(failed).toMatchObject({ state: 'exited', exitCode: 3, oomKilled: false, reason: 'Error' });
      expect(failed.startedAt).toBeInstanceOf(Date);
      expect(failed.finishedAt!.getTime()).toBeGreaterThanOrEqual(failed.startedAt!.getTime());
      expect(await waitExited(runtime, succeeding)).toMatchObject({ exitCode: 0, reason: 'Completed' });

      await vi.waitFor(() => {
        const mine = events.filter((e) => e.containerId === failing);
        expect(mine.map((e) => e.type)).toEqual(['started', 'exited']);
        expect(mine[1]).toMatchObject({ role: 'container', podUid: pod.uid, containerName: 'failing', exitCode: 3 });
      }, WAIT);
      unsubscribe();
    });

    it('runs two containers that share an emptyDir: one writes a file, the other reads it', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const volume = await emptyDir();
      const { sandboxId } = await runtime.createSandbox(newPod());
      const mounts = [{ name: 'data', mountPath: '/data' }];
      const writer = await run(sandboxId, spec('writer', ['sh', '-c', 'echo shared-content > /data/file'], { volumeMounts: mounts }), [volume]);
      expect((await waitExited(runtime, writer)).exitCode).toBe(0);
      const reader = await run(sandboxId, spec('reader', ['sh', '-c', 'cat /data/file'], { volumeMounts: mounts }), [volume]);
      expect((await waitExited(runtime, reader)).exitCode).toBe(0);
      expect(await readAll(await runtime.logs(reader, { follow: false }))).toBe('shared-content\n');
    });

    it('applies env, workingDir, and command/args as Kubernetes does', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const { sandboxId } = await runtime.createSandbox(newPod());
      const withEnv = await run(sandboxId, spec('env', ['sh', '-c', 'echo "$GREETING"; pwd'], { env: { GREETING: 'hello world' }, workingDir: '/tmp' }));
      const commandAndArgs = await run(sandboxId, spec('cmdargs', ['echo'], { args: ['a', 'b'] }));
      const argsOnly = await run(sandboxId, { name: 'argsonly', image: h.image, args: ['sh', '-c', 'echo from-args'] });
      for (const id of [withEnv, commandAndArgs, argsOnly]) expect((await waitExited(runtime, id)).exitCode).toBe(0);
      expect(await readAll(await runtime.logs(withEnv, { follow: false }))).toBe('hello world\n/tmp\n');
      expect(await readAll(await runtime.logs(commandAndArgs, { follow: false }))).toBe('a b\n');
      expect(await readAll(await runtime.logs(argsOnly, { follow: false }))).toBe('from-args\n');
    });

    it('stops with SIGTERM, and SIGKILL after the grace period', async () => {
      const { sandboxId } = await runtime.createSandbox(newPod());
      const polite = await run(sandboxId, spec('polite', ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done']));
      const stubborn = await run(sandboxId, spec('stubborn', ['sh', '-c', 'trap "" TERM; while :; do sleep 0.05; done']));
      await vi.waitFor(async () => expect((await runtime.inspectContainer(stubborn)).state).toBe('running'), WAIT);

      let started = Date.now();
      await runtime.stopContainer(polite, 10);
      expect(Date.now() - started).toBeLessThan(5_000);
      const politeStatus = await runtime.inspectContainer(polite);
      expect(politeStatus.state).toBe('exited');
      if (h.capabilities.executes) expect(politeStatus.exitCode).toBe(0);

      started = Date.now();
      await runtime.stopContainer(stubborn, 1);
      const stubbornStatus = await runtime.inspectContainer(stubborn);
      expect(stubbornStatus.state).toBe('exited');
      if (h.capabilities.executes) {
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        expect(stubbornStatus.exitCode).toBe(137);
      }
      // Stopping an exited container is a no-op.
      await runtime.stopContainer(stubborn, 1);
    });

    it('returns logs: stdout and stderr, tail, timestamps, and follow until exit', async () => {
      const { sandboxId } = await runtime.createSandbox(newPod());
      const printer = await run(sandboxId, spec('printer', ['sh', '-c', 'echo out1; echo err1 >&2; echo out2']));
      const counter = await run(sandboxId, spec('counter', ['sh', '-c', 'echo l1; echo l2; echo l3']));
      // Every runtime ends log streams; only executing ones have output to check.
      if (!h.capabilities.executes) {
        const following = readAll(await runtime.logs(printer, { follow: true }));
        expect(await readAll(await runtime.logs(printer, { follow: false }))).toBe('');
        await runtime.stopContainer(printer, 1);
        expect(await following).toBe('');
        return;
      }
      await waitExited(runtime, printer);
      await waitExited(runtime, counter);
      const all = await readAll(await runtime.logs(printer, { follow: false }));
      // stdout and stderr are read separately, so their relative order is not guaranteed.
      expect(all.split('\n').filter(Boolean).sort()).toEqual(['err1', 'out1', 'out2']);
      expect(await readAll(await runtime.logs(counter, { follow: false, tailLines: 2 }))).toBe('l2\nl3\n');
      const stamped = (await readAll(await runtime.logs(counter, { follow: false, timestamps: true }))).split('\n').filter(Boolean);
      expect(stamped).toHaveLength(3);
      stamped.forEach((line, i) => expect(line).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z l${i + 1}$`)));
      expect(await readAll(await runtime.logs(counter, { follow: false, sinceSeconds: 600 }))).toBe('l1\nl2\nl3\n');

      const slow = await run(sandboxId, spec('slow', ['sh', '-c', 'echo first; sleep 0.5; echo second']));
      const followed = await readAll(await runtime.logs(slow, { follow: true }));
      expect(followed).toBe('first\nsecond\n');
    });

    it('lists its pods from the runtime itself, so a new instance re-adopts them', async () => {
      const pod = newPod();
      const { sandboxId } = await runtime.createSandbox(pod);
      const done = await run(sandboxId, spec('done', ['sh', '-c', 'exit 3']));
      const forever = await run(sandboxId, spec('forever', ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done']));
      await waitExited(runtime, done);

      const adopted = await h.reopen();
      const listed = (await adopted.listPods()).find((p) => p.podUid === pod.uid);
      expect(listed).toMatchObject({ podUid: pod.uid, namespace: pod.namespace, name: pod.name, sandboxId });
      const byName = new Map(listed!.containers.map((c) => [c.name, c]));
      expect(byName.get('done')).toMatchObject({ id: done, state: 'exited' });
      expect(byName.get('forever')).toMatchObject({ id: forever, state: h.capabilities.containersSurviveReopen ? 'running' : 'exited' });
      expect(await adopted.inspectContainer(done)).toMatchObject({ state: 'exited', exitCode: 3 });

      await adopted.removeSandbox(sandboxId);
      expect((await adopted.listPods()).find((p) => p.podUid === pod.uid)).toBeUndefined();
    });

    it('removes a sandbox with its containers, idempotently, and names missing ids with typed errors', async () => {
      const pod = newPod();
      const { sandboxId } = await runtime.createSandbox(pod);
      const id = await run(sandboxId, spec('c', ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done']));
      expect((await runtime.listPods()).find((p) => p.podUid === pod.uid)?.containers.map((c) => c.id)).toEqual([id]);

      await runtime.removeSandbox(sandboxId);
      await expect(runtime.inspectContainer(id)).rejects.toBeInstanceOf(ContainerNotFoundError);
      expect((await runtime.listPods()).find((p) => p.podUid === pod.uid)).toBeUndefined();
      await runtime.removeSandbox(sandboxId);
      await runtime.removeContainer(id);
      await expect(runtime.createContainer(sandboxId, spec('late', ['true']), [])).rejects.toBeInstanceOf(SandboxNotFoundError);
      await expect(runtime.startContainer(id)).rejects.toBeInstanceOf(ContainerNotFoundError);
      await expect(runtime.logs(id, { follow: false })).rejects.toBeInstanceOf(ContainerNotFoundError);
    });

    it('removes a single container, running or not', async () => {
      const { sandboxId } = await runtime.createSandbox(newPod());
      const id = await run(sandboxId, spec('c', ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done']));
      await runtime.removeContainer(id);
      await expect(runtime.inspectContainer(id)).rejects.toBeInstanceOf(ContainerNotFoundError);
      await runtime.removeContainer(id);
    });
  });
}
