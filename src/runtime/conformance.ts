/**
 * One conformance suite for every ContainerRuntime: the behaviour the pod worker relies on.
 * Each runtime's test file calls `runtimeConformance(name, makeHarness)`. Checks that need a
 * command to really run (files, output, signals) are gated on `capabilities.executes`, which the
 * hollow runtime lacks (and with them exec: hollow answers ExecNotSupportedError); everything
 * else (lifecycle, exit codes, re-adoption, images, errors) holds for all three.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttachNotSupportedError, ContainerNotFoundError, ContainerNotRunningError, ExecNotSupportedError, ImageNotPresentError, SandboxNotFoundError } from './errors.ts';
import type { ContainerRuntime, ContainerSpec, ContainerStatus, ExecProcess, HostVolume, PodRef, RuntimeEvent } from './types.ts';

export interface ConformanceCapabilities {
  /** Commands really run: files, output, signal handling and exec can be checked. */
  executes: boolean;
  /** Containers keep running when their runtime instance is closed and another opened (Docker); otherwise they are found exited. */
  containersSurviveReopen: boolean;
  /** A `readOnly` mount refuses writes (a mount namespace; the process runtime has none). */
  enforcesReadOnly?: boolean;
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

/** Read a stream to its end as bytes. */
export async function readBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** Read a stream until its text contains `text`; the iterator returned reads on from there. */
export async function readUntil(stream: Readable, text: string): Promise<AsyncIterator<unknown>> {
  const chunks = stream[Symbol.asyncIterator]();
  let seen = '';
  while (!seen.includes(text)) {
    const next = await chunks.next();
    if (next.done === true) throw new Error(`stream ended before ${JSON.stringify(text)}; read ${JSON.stringify(seen)}`);
    seen += String(next.value);
  }
  return chunks;
}

/** An exec's stdout and stderr (empty without one) read to their ends, and its exit code. */
export async function execResult(exec: ExecProcess): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const [stdout, stderr] = await Promise.all([readAll(exec.stdout), exec.stderr ? readAll(exec.stderr) : '']);
  return { stdout, stderr, exitCode: await exec.exitCode };
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
    const runForever = async (extra: Partial<ContainerSpec> = {}, volumes: HostVolume[] = []): Promise<string> => {
      const { sandboxId } = await runtime.createSandbox(newPod());
      return run(sandboxId, spec('main', ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done'], extra), volumes);
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

    it('a volume written as the kubelet\'s AtomicWriter writes it: a running container sees the ..data swap at once', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const volume = await emptyDir();
      // <dir>/key -> ..data/key, ..data -> ..v1 (what node-daemon/volumes/atomic-writer.ts makes).
      const version = async (name: string, text: string) => {
        await mkdir(join(volume.hostPath, name));
        await writeFile(join(volume.hostPath, name, 'key'), text);
        await symlink(name, join(volume.hostPath, '..data_tmp'));
        await rename(join(volume.hostPath, '..data_tmp'), join(volume.hostPath, '..data'));
      };
      await version('..v1', 'one');
      await symlink('..data/key', join(volume.hostPath, 'key'));
      const out = await emptyDir();
      const id = await runForever(
        { command: ['sh', '-c', 'trap "exit 0" TERM; while :; do cat /cfg/key > /out/seen; sleep 0.05; done'], volumeMounts: [{ name: 'data', mountPath: '/cfg', readOnly: true }, { name: 'out', mountPath: '/out' }] },
        [volume, { name: 'out', hostPath: out.hostPath }],
      );
      const seen = () => readFile(join(out.hostPath, 'seen'), 'utf8').catch(() => '');
      await vi.waitFor(async () => expect(await seen()).toBe('one'), WAIT);
      await version('..v2', 'two');
      await rm(join(volume.hostPath, '..v1'), { recursive: true });
      await vi.waitFor(async () => expect(await seen()).toBe('two'), WAIT);
      await runtime.stopContainer(id, 5);
    });

    it('binds a single file at a mountPath (a subPath the node resolved to a file)', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const dir = await emptyDir();
      const file = join(dir.hostPath, 'app.conf');
      await writeFile(file, 'setting=1\n');
      const { sandboxId } = await runtime.createSandbox(newPod());
      const id = await run(sandboxId, spec('reader', ['sh', '-c', 'cat /etc/app.conf'], { volumeMounts: [{ name: 'conf', mountPath: '/etc/app.conf', readOnly: true }] }), [{ name: 'conf', hostPath: file }]);
      expect((await waitExited(runtime, id)).exitCode).toBe(0);
      expect(await readAll(await runtime.logs(id, { follow: false }))).toBe('setting=1\n');
    });

    it('a readOnly mount refuses writes; the same volume writable elsewhere', async (ctx) => {
      if (!h.capabilities.executes || h.capabilities.enforcesReadOnly !== true) ctx.skip();
      const volume = await emptyDir();
      const { sandboxId } = await runtime.createSandbox(newPod());
      const mounts = [{ name: 'data', mountPath: '/ro', readOnly: true }, { name: 'data', mountPath: '/rw' }];
      const id = await run(sandboxId, spec('writer', ['sh', '-c', 'echo x > /ro/a || echo refused; echo y > /rw/b && echo written'], { volumeMounts: mounts }), [volume]);
      expect((await waitExited(runtime, id)).exitCode).toBe(0);
      expect((await readAll(await runtime.logs(id, { follow: false }))).split('\n').filter((l) => l === 'refused' || l === 'written')).toEqual(['refused', 'written']);
      expect(await readFile(join(volume.hostPath, 'b'), 'utf8')).toBe('y\n');
      await expect(readFile(join(volume.hostPath, 'a'))).rejects.toMatchObject({ code: 'ENOENT' });
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

    it('execs a command in a running container, with the container\'s env, workingDir and volumes', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const volume = await emptyDir();
      const id = await runForever({ env: { GREETING: 'hello world' }, workingDir: '/tmp', volumeMounts: [{ name: 'data', mountPath: '/data' }] }, [volume]);

      const echo = await runtime.exec(id, { command: ['echo', 'hi'], stdin: false, tty: false });
      expect(echo.stdin).toBeUndefined();
      expect(await execResult(echo)).toEqual({ stdout: 'hi\n', stderr: '', exitCode: 0 });

      const context = await runtime.exec(id, { command: ['sh', '-c', 'echo "$GREETING"; pwd; echo written > /data/f'], stdin: false, tty: false });
      expect(await execResult(context)).toEqual({ stdout: 'hello world\n/tmp\n', stderr: '', exitCode: 0 });
      expect(await readFile(join(volume.hostPath, 'f'), 'utf8')).toBe('written\n');
    });

    it('keeps an exec\'s stdout and stderr apart and reports its exit code', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const id = await runForever();
      const exec = await runtime.exec(id, { command: ['sh', '-c', 'echo out; echo err >&2; exit 3'], stdin: false, tty: false });
      expect(await execResult(exec)).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });

      // A command that cannot run is the command's failure (126/127 and a message), not exec's.
      const missing = await execResult(await runtime.exec(id, { command: ['kactus-no-such-command'], stdin: false, tty: false }));
      expect([126, 127]).toContain(missing.exitCode);
      expect(missing.stdout + missing.stderr).toContain('kactus-no-such-command');
    });

    it('passes stdin to an exec, and ending it is EOF for the command', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const id = await runForever();
      const cat = await runtime.exec(id, { command: ['cat'], stdin: true, tty: false });
      const result = execResult(cat);
      cat.stdin!.write('data\n');
      cat.stdin!.end();
      expect(await result).toEqual({ stdout: 'data\n', stderr: '', exitCode: 0 });

      // What `kubectl cp` does: a binary stream, larger than any buffer, back out unchanged.
      const payload = randomBytes(4 * 1024 * 1024 + 17);
      const copy = await runtime.exec(id, { command: ['cat'], stdin: true, tty: false });
      const copied = readBytes(copy.stdout);
      copy.stdin!.end(payload);
      expect((await copied).equals(payload)).toBe(true);
      expect(await copy.exitCode).toBe(0);

      // Input the command never reads is dropped, not an error.
      const early = await runtime.exec(id, { command: ['sh', '-c', 'exit 3'], stdin: true, tty: false });
      expect(await execResult(early)).toMatchObject({ exitCode: 3 });
      await new Promise<void>((resolve, reject) => early.stdin!.write('late\n', (err) => (err ? reject(err) : resolve())));
      early.stdin!.end();
    });

    it('runs an exec on a terminal: one output stream, no stderr, resize, and EOF when stdin ends', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const id = await runForever();
      const both = await runtime.exec(id, { command: ['sh', '-c', 'echo x; echo y >&2'], stdin: false, tty: true });
      expect(both.stderr).toBeUndefined();
      const shown = await execResult(both);
      expect(shown.stdout).toContain('x');
      expect(shown.stdout).toContain('y');
      expect(shown.exitCode).toBe(0);

      const cat = await runtime.exec(id, { command: ['cat'], stdin: true, tty: true });
      await cat.resize(100, 40);
      const output = readAll(cat.stdout);
      cat.stdin!.write('data\n');
      cat.stdin!.end();
      expect(await output).toContain('data');
      expect(await cat.exitCode).toBe(0);
    });

    it('ends an exec with its container, and close() lets go of one', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const id = await runForever();
      const loop = ['sh', '-c', 'echo started; while :; do sleep 0.05; done'];

      const released = await runtime.exec(id, { command: loop, stdin: true, tty: false });
      const rest = await readUntil(released.stdout, 'started');
      released.close();
      while ((await rest.next()).done !== true);
      await expect(released.exitCode).rejects.toThrow();

      const killed = await runtime.exec(id, { command: loop, stdin: false, tty: false });
      const after = await readUntil(killed.stdout, 'started');
      await runtime.stopContainer(id, 0);
      while ((await after.next()).done !== true);
      expect(await killed.exitCode).toBe(137);
    });

    it('refuses to exec into a container that is not running', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const { sandboxId } = await runtime.createSandbox(newPod());
      const created = await runtime.createContainer(sandboxId, spec('created', ['sh', '-c', 'exit 0']), []);
      await expect(runtime.exec(created, { command: ['true'], stdin: false, tty: false })).rejects.toBeInstanceOf(ContainerNotRunningError);
      const exited = await run(sandboxId, spec('exited', ['sh', '-c', 'exit 0']));
      await waitExited(runtime, exited);
      await expect(runtime.exec(exited, { command: ['true'], stdin: false, tty: false })).rejects.toBeInstanceOf(ContainerNotRunningError);
    });

    it('names a missing container in exec, and a runtime that cannot exec says so', async () => {
      const id = await runForever();
      if (!h.capabilities.executes) await expect(runtime.exec(id, { command: ['true'], stdin: false, tty: false })).rejects.toBeInstanceOf(ExecNotSupportedError);
      await runtime.removeContainer(id);
      await expect(runtime.exec(id, { command: ['true'], stdin: false, tty: false })).rejects.toBeInstanceOf(ContainerNotFoundError);
    });

    it('attaches to a running container: its output from then on, stdout and stderr apart, until it exits', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const volume = await emptyDir();
      const script = 'echo before; while [ ! -f /data/go ]; do sleep 0.05; done; echo after; echo oops >&2; sleep 0.2; echo last';
      const id = await runForever({ command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }, [volume]);
      await vi.waitFor(async () => expect(await readAll(await runtime.logs(id, { follow: false }))).toContain('before'), WAIT);
      const attached = await runtime.attach(id, { stdin: false, tty: false });
      expect(attached.stdin).toBeUndefined();
      const output = Promise.all([readAll(attached.stdout), readAll(attached.stderr!)]);
      await writeFile(join(volume.hostPath, 'go'), '');
      // Nothing from before the attachment; the output ends when the container exits.
      expect(await output).toEqual(['after\nlast\n', 'oops\n']);
      expect((await waitExited(runtime, id)).exitCode).toBe(0);
    });

    it('attaches stdin when the container keeps it open; with stdinOnce its end is EOF for the process', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const { sandboxId } = await runtime.createSandbox(newPod());
      const id = await run(sandboxId, spec('reader', ['sh', '-c', 'while read line; do echo "got $line"; done; echo eof'], { stdin: true, stdinOnce: true }));
      await vi.waitFor(async () => expect((await runtime.inspectContainer(id)).state).toBe('running'), WAIT);
      const attached = await runtime.attach(id, { stdin: true, tty: false });
      const output = readAll(attached.stdout);
      attached.stdin!.write('one\n');
      attached.stdin!.end('two\n');
      expect(await output).toBe('got one\ngot two\neof\n');
      expect((await waitExited(runtime, id)).exitCode).toBe(0);

      // A container without stdin has none to attach to.
      const closed = await runForever();
      const noStdin = await runtime.attach(closed, { stdin: true, tty: false });
      expect(noStdin.stdin).toBeUndefined();
      noStdin.close();
    });

    it('attaches to a container on a terminal: one output stream', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const { sandboxId } = await runtime.createSandbox(newPod());
      const id = await run(sandboxId, spec('shell', ['sh', '-c', 'read line; echo "got $line"; echo to-stderr >&2'], { stdin: true, stdinOnce: true, tty: true }));
      await vi.waitFor(async () => expect((await runtime.inspectContainer(id)).state).toBe('running'), WAIT);
      const attached = await runtime.attach(id, { stdin: true, tty: true });
      expect(attached.stderr).toBeUndefined();
      await attached.resize(100, 30);
      const output = readAll(attached.stdout);
      attached.stdin!.write('hello\n');
      const shown = await output;
      expect(shown).toContain('got hello');
      expect(shown).toContain('to-stderr');
    });

    it('close() lets go of an attachment while the container runs on', async (ctx) => {
      if (!h.capabilities.executes) ctx.skip();
      const id = await runForever({ command: ['sh', '-c', 'trap "exit 0" TERM; while :; do echo tick; sleep 0.05; done'] });
      const attached = await runtime.attach(id, { stdin: false, tty: false });
      const rest = await readUntil(attached.stdout, 'tick');
      attached.close();
      while ((await rest.next()).done !== true);
      expect((await runtime.inspectContainer(id)).state).toBe('running');
    });

    it('refuses to attach to a container that is not running or missing; a runtime that cannot attach says so', async () => {
      const id = await runForever();
      if (!h.capabilities.executes) await expect(runtime.attach(id, { stdin: false, tty: false })).rejects.toBeInstanceOf(AttachNotSupportedError);
      else {
        const { sandboxId } = await runtime.createSandbox(newPod());
        const exited = await run(sandboxId, spec('exited', ['sh', '-c', 'exit 0']));
        await waitExited(runtime, exited);
        await expect(runtime.attach(exited, { stdin: false, tty: false })).rejects.toBeInstanceOf(ContainerNotRunningError);
      }
      await runtime.removeContainer(id);
      await expect(runtime.attach(id, { stdin: false, tty: false })).rejects.toBeInstanceOf(ContainerNotFoundError);
    });

    it('lists its pods from the runtime itself, so a new instance re-adopts them', async () => {
      const pod = newPod();
      const { sandboxId, ip } = await runtime.createSandbox(pod);
      const done = await run(sandboxId, spec('done', ['sh', '-c', 'exit 3']));
      const forever = await run(sandboxId, spec('forever', ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done']));
      await waitExited(runtime, done);

      const adopted = await h.reopen();
      const listed = (await adopted.listPods()).find((p) => p.podUid === pod.uid);
      expect(listed).toMatchObject({ podUid: pod.uid, namespace: pod.namespace, name: pod.name, sandboxId });
      // An adopted pod keeps the address its sandbox was given.
      expect(listed!.sandboxIP).toBe(ip);
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

    it('stops a finished pod\'s sandbox, keeping its containers and their logs until removal', async () => {
      const pod = newPod();
      const { sandboxId } = await runtime.createSandbox(pod);
      // (hollow containers exit by a trailing `exit N` and print nothing)
      const done = await run(sandboxId, spec('done', ['sh', '-c', h.capabilities.executes ? 'echo finished' : 'exit 0']));
      await waitExited(runtime, done);
      await runtime.stopSandbox(sandboxId);
      await runtime.stopSandbox(sandboxId);
      expect(await runtime.inspectContainer(done)).toMatchObject({ state: 'exited', exitCode: 0 });
      if (h.capabilities.executes) expect(await readAll(await runtime.logs(done, { follow: true }))).toBe('finished\n');
      expect((await runtime.listPods()).find((p) => p.podUid === pod.uid)).toMatchObject({ sandboxId, containers: [{ id: done, state: 'exited' }] });
      await runtime.removeSandbox(sandboxId);
      await expect(runtime.stopSandbox(sandboxId)).rejects.toBeInstanceOf(SandboxNotFoundError);
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
