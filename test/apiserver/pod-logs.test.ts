/**
 * `kubectl logs` end to end without a node daemon: the real kubectl 1.32 (and `kactus logs`)
 * against a real API server over an embedded store, whose LogSource reads the REAL Docker
 * runtime. The test plays the node's part: it runs a pod's containers through the runtime API and
 * reports their ids in the pod's status, which is what the server reads to find a log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResource } from '../../src/api/kinds.ts';
import type { KubeObject } from '../../src/api/object.ts';
import { logSourceError, type LogSource } from '../../src/apiserver/handlers/pod-logs.ts';
import { DockerRuntime } from '../../node-daemon/runtime/docker.ts';
import { BUSYBOX_IMAGE, TEST_LABEL, dockerClient, dockerRequired, ensureBusyboxImage, isDockerUp, listContainersByLabel, removeContainersByLabel } from '../support/docker.ts';
import { startTestCluster, waitFor, type TestCluster } from './harness.ts';

const docker = dockerClient();
const dockerUp = await isDockerUp(docker);
if (!dockerUp && dockerRequired()) throw new Error('CI=true and Docker does not answer at /var/run/docker.sock');
if (!dockerUp) console.warn('pod-logs.test.ts: Docker does not answer at /var/run/docker.sock; skipping');

const run = `logs-${process.pid}-${randomBytes(3).toString('hex')}`;
const PODS = findResource('', 'v1', 'pods')!;

/** The container id the pod's status reports for `container` (the last run's with `previous`). */
function containerId(pod: KubeObject, container: string, previous: boolean): string | undefined {
  const statuses = ((pod.status as { containerStatuses?: { name: string; containerID?: string; lastState?: { terminated?: { containerID?: string } } }[] } | undefined)?.containerStatuses ?? []);
  const st = statuses.find((s) => s.name === container);
  const id = previous ? st?.lastState?.terminated?.containerID : st?.containerID;
  return id?.replace(/^docker:\/\//, '');
}

describe.runIf(dockerUp)('pod logs from Docker through the API server', () => {
  let runtime: DockerRuntime;
  let c: TestCluster;
  /** Log streams the server opened and whether each was released (destroyed or ended). */
  const opened: Readable[] = [];

  const source: LogSource = {
    async stream(pod, container, opts, signal) {
      const id = containerId(pod, container, opts.previous);
      if (!id) throw logSourceError(404, `container ${container} has no id`);
      const { follow, tailLines, timestamps, sinceSeconds } = opts;
      const log = await runtime.logs(id, { follow, tailLines, timestamps, sinceSeconds });
      opened.push(log);
      signal.addEventListener('abort', () => log.destroy(), { once: true });
      return log as AsyncIterable<Buffer>;
    },
  };

  beforeAll(async () => {
    await ensureBusyboxImage(docker);
    runtime = await DockerRuntime.connect({ node: run, docker, extraLabels: { [TEST_LABEL]: run } });
    c = await startTestCluster({ server: { logs: source } });

    // Pod "web": `app` prints a fixed log then idles; `ticker` prints a line every 100 ms.
    const { sandboxId } = await runtime.createSandbox({ uid: `${run}-web`, namespace: 'default', name: 'web' }, { network: 'none' });
    const app = await runtime.createContainer(sandboxId, { name: 'app', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'echo oops >&2; sleep 0.3; for i in 1 2 3 4 5; do echo line $i; done; exec sleep 3600'] }, []);
    const ticker = await runtime.createContainer(sandboxId, { name: 'ticker', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.1; done'] }, []);
    await runtime.startContainer(app);
    await runtime.startContainer(ticker);

    const created = await c.server.registry.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: { nodeName: run, containers: [{ name: 'app', image: 'busybox' }, { name: 'ticker', image: 'busybox' }] },
    });
    const running = (name: string, id: string) => ({ name, image: 'busybox', imageID: '', ready: true, started: true, restartCount: 0, containerID: `docker://${id}`, state: { running: { startedAt: new Date().toISOString() } } });
    await c.server.registry.updateStatus(PODS, 'default', 'web', { ...created, status: { phase: 'Running', containerStatuses: [running('app', app), running('ticker', ticker)] } });
    // The fixed log is complete once its last line is in Docker's log.
    await waitFor('the app container to print its lines', async () => {
      const text = await readAll(await runtime.logs(app, { follow: false }));
      return text.includes('line 5') || undefined;
    });
  });

  afterAll(async () => {
    await c?.close();
    await runtime?.close();
    await removeContainersByLabel(docker, `${TEST_LABEL}=${run}`);
    expect(await listContainersByLabel(docker, `${TEST_LABEL}=${run}`)).toEqual([]);
  });

  async function ok(args: string[]): Promise<{ stdout: string; stderr: string }> {
    const r = await c.kubectl(args);
    expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  }

  it('kubectl logs -c app prints the whole log, stdout and stderr', async () => {
    const { stdout } = await ok(['logs', 'web', '-c', 'app']);
    expect(stdout).toBe('oops\nline 1\nline 2\nline 3\nline 4\nline 5\n');
  });

  it('kubectl logs without -c defaults to the first container and says so', async () => {
    const { stdout, stderr } = await ok(['logs', 'web']);
    expect(stdout).toBe('oops\nline 1\nline 2\nline 3\nline 4\nline 5\n');
    expect(stderr).toContain('Defaulted container "app" out of: app, ticker');
  });

  it('kubectl logs --tail and --timestamps', async () => {
    expect((await ok(['logs', 'web', '-c', 'app', '--tail', '2'])).stdout).toBe('line 4\nline 5\n');
    const stamped = (await ok(['logs', 'web', '-c', 'app', '--tail=1', '--timestamps'])).stdout;
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 5\n$/);
  });

  it('kubectl logs -f prints new lines as the container writes them; stopping kubectl releases the Docker stream', async () => {
    const before = opened.length;
    const child = c.spawnKubectl(['logs', '-f', 'web', '-c', 'ticker', '--tail=1']);
    const lines = await readLines(child, 5, 15_000);
    const ticks = lines.map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]));
    expect(ticks.every((n) => Number.isInteger(n))).toBe(true);
    // Consecutive: the stream is live, not a replay of a finished log.
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBe(ticks[0]! + i);
    child.kill();
    const log = opened[before]!;
    await waitFor('the server to release the followed Docker log', () => log.destroyed || undefined);
  });

  it('kubectl logs errors: unknown pod (404), unknown container (400)', async () => {
    const missing = await c.kubectl(['logs', 'nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('pods "nope" not found');
    const bad = await c.kubectl(['logs', 'web', '-c', 'zz']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('container zz is not valid for pod web');
  });

  it('kactus logs: --tail, -c, default container note', async () => {
    const r = await kactusLogs(['logs', 'web', '-c', 'app', '--tail', '3']);
    expect(r).toMatchObject({ code: 0, stdout: 'line 3\nline 4\nline 5\n' });
    const d = await kactusLogs(['logs', 'pod/web', '--tail=1']);
    expect(d).toMatchObject({ code: 0, stdout: 'line 5\n' });
    expect(d.stderr).toContain('Defaulted container "app" out of: app, ticker');
    const missing = await kactusLogs(['logs', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): pods "nope" not found');
  });

  it('kactus logs -f follows until stopped', async () => {
    const child = spawnKactus(['logs', '-f', 'web', '-c', 'ticker', '--tail=0']);
    try {
      const lines = await readLines(child, 3, 15_000);
      expect(lines.every((l) => /^tick \d+$/.test(l))).toBe(true);
    } finally {
      child.kill();
    }
  });

  /** `kactus logs` through its command module (main.ts registration is the lead's). */
  function spawnKactus(args: string[]): ChildProcess {
    const script = [
      "import { Command } from 'commander';",
      "import { logsCommand } from './src/cli/commands/logs.ts';",
      "import { formatError } from './src/cli/errors.ts';",
      "const p = new Command('kactus').option('--kubeconfig <path>').option('-n, --namespace <ns>').addCommand(logsCommand());",
      "try { await p.parseAsync(process.argv.slice(1), { from: 'user' }); } catch (err) { process.stderr.write(formatError(err) + '\\n'); process.exitCode = 1; }",
    ].join('\n');
    return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', '--kubeconfig', c.kubeconfigPath, ...args], {
      cwd: new URL('../../', import.meta.url),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  function kactusLogs(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawnKactus(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }
});

/** Collects `count` complete stdout lines from a child, failing at the deadline. */
function readLines(child: ChildProcess, count: number, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`only got ${JSON.stringify(buffer)} before the deadline; stderr: ${stderr}`)), timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      buffer += s;
      const lines = buffer.split('\n').slice(0, -1);
      if (lines.length >= count) {
        clearTimeout(timer);
        resolve(lines.slice(0, count));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) after ${JSON.stringify(buffer)}; stderr: ${stderr}`));
    });
  });
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}
