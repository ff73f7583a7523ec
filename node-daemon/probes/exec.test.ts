/**
 * The exec probe on the process runtime (real host processes through `runtime.exec`): exit codes,
 * combined output, the timeout, and a container that is not running. The same runner on Docker
 * is exercised end to end in probes.docker.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRuntime } from '../runtime/process.ts';
import { waitFor } from '../../test/support/wait.ts';
import { MAX_OUTPUT_BYTES, probeExec } from './exec.ts';

const never = new AbortController().signal;
let dir: string;
let runtime: ProcessRuntime;
let running: string;
let exited: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-probe-exec-'));
  runtime = await ProcessRuntime.open({ dataDir: dir });
  const { sandboxId } = await runtime.createSandbox({ uid: 'probe-exec', namespace: 'default', name: 'probe-exec' });
  running = await runtime.createContainer(sandboxId, { name: 'app', image: 'busybox:latest', command: ['sleep', '3600'] }, []);
  await runtime.startContainer(running);
  exited = await runtime.createContainer(sandboxId, { name: 'done', image: 'busybox:latest', command: ['true'] }, []);
  await runtime.startContainer(exited);
  await waitFor('the short container exited', async () => (await runtime.inspectContainer(exited)).state === 'exited');
});

afterAll(async () => {
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('exec probe', () => {
  it('succeeds on exit 0 with the output', async () => {
    expect(await probeExec(runtime, running, ['sh', '-c', 'echo ok'], 2000, never)).toEqual({ result: 'success', output: 'ok\n' });
  });

  it('fails on another exit code, with stdout and stderr', async () => {
    const outcome = await probeExec(runtime, running, ['sh', '-c', 'echo out; echo err >&2; exit 3'], 2000, never);
    expect(outcome.result).toBe('failure');
    expect(outcome.output.split('\n').sort()).toEqual(['', 'err', 'out']);
  });

  it('keeps 10 KiB of output', async () => {
    const outcome = await probeExec(runtime, running, ['sh', '-c', 'head -c 30000 /dev/zero | tr "\\0" x'], 2000, never);
    expect(outcome).toEqual({ result: 'success', output: 'x'.repeat(MAX_OUTPUT_BYTES) });
  });

  it('fails a command still running at the timeout', async () => {
    const started = Date.now();
    expect(await probeExec(runtime, running, ['sleep', '5'], 300, never)).toEqual({ result: 'failure', output: 'command "sleep 5" timed out' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('errors in a container that is not running', async () => {
    const outcome = await probeExec(runtime, exited, ['true'], 1000, never);
    expect(outcome.result).toBe('error');
  });
});
