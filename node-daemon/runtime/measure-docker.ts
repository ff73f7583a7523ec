/**
 * Measures pod start cost through the Docker runtime against raw dockerode:
 *   raw:  create + start + wait of one busybox `exit 0` container
 *   pod:  createSandbox + createContainer + start + the container's `exited` event
 * each 20 times in sequence (median) and 20 at once (wall time). Removal is not timed.
 * Run: npx tsx node-daemon/runtime/measure-docker.ts
 */
import { randomBytes } from 'node:crypto';
import { BUSYBOX_IMAGE, TEST_LABEL, dockerClient, ensureBusyboxImage, removeContainersByLabel } from '../../test/support/docker.ts';
import { DockerRuntime } from './docker.ts';

const COUNT = 20;
const docker = dockerClient();
const run = `measure-${randomBytes(3).toString('hex')}`;
const labels = { [TEST_LABEL]: run };

/** When the container was seen exited, and how long after its start that was. */
interface Timing {
  elapsed: number;
  exitedAt: number;
}

async function rawOnce(): Promise<Timing> {
  const started = performance.now();
  const container = await docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['sh', '-c', 'exit 0'], Labels: labels });
  await container.start();
  await container.wait();
  const exitedAt = performance.now();
  await container.remove({ force: true });
  return { elapsed: exitedAt - started, exitedAt };
}

async function podOnce(runtime: DockerRuntime, i: number): Promise<Timing> {
  const started = performance.now();
  const { sandboxId } = await runtime.createSandbox({ uid: `${run}-${i}`, namespace: 'bench', name: `pod-${i}` });
  const id = await runtime.createContainer(sandboxId, { name: 'c', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'exit 0'] }, []);
  const exited = new Promise<void>((resolve) => {
    const off = runtime.onEvent((e) => {
      if (e.containerId === id && e.type === 'exited') {
        off();
        resolve();
      }
    });
  });
  await runtime.startContainer(id);
  await exited;
  const exitedAt = performance.now();
  await runtime.removeSandbox(sandboxId);
  return { elapsed: exitedAt - started, exitedAt };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function sequential(once: (i: number) => Promise<Timing>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < COUNT; i++) times.push((await once(i)).elapsed);
  return median(times);
}

/** Wall time from the start until the last one exited (removals after that are not counted). */
async function parallel(once: (i: number) => Promise<Timing>): Promise<number> {
  const started = performance.now();
  const timings = await Promise.all(Array.from({ length: COUNT }, (_, i) => once(i)));
  return Math.max(...timings.map((t) => t.exitedAt)) - started;
}

async function main(): Promise<void> {
  await ensureBusyboxImage(docker);
  const runtime = await DockerRuntime.connect({ node: `measure-${run}`, docker, extraLabels: labels });
  try {
    await rawOnce(); // warm-up
    const rawSeq = await sequential(rawOnce);
    const podSeq = await sequential((i) => podOnce(runtime, i));
    const rawPar = await parallel(rawOnce);
    const podPar = await parallel((i) => podOnce(runtime, 1000 + i));
    const fmt = (ms: number) => `${Math.round(ms)} ms`;
    console.log(`raw dockerode create+start+wait, median of ${COUNT} sequential: ${fmt(rawSeq)}`);
    console.log(`runtime pod (sandbox + 1 container) to exited event, median of ${COUNT} sequential: ${fmt(podSeq)}`);
    console.log(`raw dockerode, ${COUNT} in parallel, wall: ${fmt(rawPar)}`);
    console.log(`runtime pod, ${COUNT} in parallel, wall: ${fmt(podPar)}`);
  } finally {
    await runtime.close();
    await removeContainersByLabel(docker, `${TEST_LABEL}=${run}`);
  }
}

await main();
