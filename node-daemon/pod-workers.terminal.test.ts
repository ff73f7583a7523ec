/**
 * Pod workers and a pod the master has as finished while this node still runs it (the node was
 * away, the master failed the pod NodeLost and a controller replaced it): the containers stop but
 * stay (logs) until pods.sync removes them, and the pod is never reported again, not even by the
 * outbox's resend after a reconnect. Hollow runtime, a recording outbox: no master needed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PodStatusReport } from '../src/net/messages.ts';
import { Outbox } from './outbox.ts';
import { PodWorkers } from './pod-workers.ts';
import { HollowEngine, HollowRuntime } from './runtime/hollow.ts';
import { testPod, type TestPod } from './test-pods.ts';
import { waitFor } from './test-master.ts';

const NODE = 'back-node';
let dir: string;
let engine: HollowEngine;
let sent: { type: string; body: unknown }[];
let errors: unknown[];
const workerSets: PodWorkers[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kactus-workers-'));
  engine = new HollowEngine();
  sent = [];
  errors = [];
});
afterEach(async () => {
  await Promise.all(workerSets.splice(0).map((w) => w.close(false)));
  await rm(dir, { recursive: true, force: true });
  expect(errors).toEqual([]);
});

function startWorkers(): { workers: PodWorkers; runtime: HollowRuntime; outbox: Outbox } {
  const runtime = new HollowRuntime({ engine });
  const outbox = new Outbox((type, body) => {
    sent.push({ type, body });
    return Promise.resolve();
  });
  const workers = new PodWorkers({ runtime, dataDir: dir, nodeName: NODE, hostIP: '127.0.0.1', outbox, onError: (err) => errors.push(err) });
  workerSets.push(workers);
  return { workers, runtime, outbox };
}

const statusesOf = (uid: string) => sent.filter((m) => m.type === 'pod.status' && (m.body as PodStatusReport).uid === uid).map((m) => (m.body as PodStatusReport).status);
const failedByMaster = (pod: TestPod) => ({ ...pod, status: { phase: 'Failed', reason: 'NodeLost', message: `Node ${NODE} which was running pod ${pod.metadata.name} is unresponsive` } });
const containersOf = async (runtime: HollowRuntime, uid: string) => (await runtime.listPods()).find((p) => p.podUid === uid)?.containers ?? [];

describe('pod workers: a pod the master has as Failed', () => {
  it('stops its containers (kept until pods.sync), and never reports it again, even on the resend after a reconnect', async () => {
    const { workers, runtime, outbox } = startWorkers();
    const lost = testPod(NODE, 'lost', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    const witness = testPod(NODE, 'witness', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    workers.assign({ ...lost });
    workers.assign({ ...witness });
    await waitFor('both Running', () => [lost, witness].every((p) => statusesOf(p.metadata.uid).some((s) => (s as { phase?: string }).phase === 'Running')));

    workers.assign(failedByMaster(lost));
    await waitFor('its container stopped', async () => (await containersOf(runtime, lost.metadata.uid)).every((c) => c.state === 'exited'));
    expect(await containersOf(runtime, lost.metadata.uid)).toHaveLength(1);
    const reported = statusesOf(lost.metadata.uid).length;

    // A reconnect resends every status the outbox holds: the witness's, not the lost pod's.
    const witnessReports = statusesOf(witness.metadata.uid).length;
    outbox.connected();
    await waitFor('the witness resent', () => statusesOf(witness.metadata.uid).length > witnessReports);
    workers.assign(failedByMaster(lost)); // the master's resync repeats itself: nothing new
    expect(statusesOf(lost.metadata.uid)).toHaveLength(reported);
    expect(statusesOf(lost.metadata.uid).every((s) => (s as { phase?: string }).phase !== 'Failed')).toBe(true);

    // Deleted by the master (a finished pod goes at once): pods.sync removes what was kept.
    await workers.sync([witness.metadata.uid]);
    expect(await containersOf(runtime, lost.metadata.uid)).toEqual([]);
    expect(sent.some((m) => m.type === 'pod.terminated' && (m.body as { uid: string }).uid === lost.metadata.uid)).toBe(false);
  });

  it('after a daemon restart, a finished pod is not adopted: its containers stop and nothing is reported', async () => {
    const first = startWorkers();
    const lost = testPod(NODE, 'lost', 'Always', [{ name: 'app', script: 'sleep 3600' }]);
    first.workers.assign({ ...lost });
    await waitFor('Running', () => statusesOf(lost.metadata.uid).some((s) => (s as { phase?: string }).phase === 'Running'));
    await first.workers.close(true); // the daemon stops; its containers stay for the next one
    sent.length = 0;

    const second = startWorkers();
    await second.workers.loadLeftovers();
    second.workers.assign(failedByMaster(lost));
    await waitFor('its container stopped', async () => (await containersOf(second.runtime, lost.metadata.uid)).every((c) => c.state === 'exited'));
    expect(await containersOf(second.runtime, lost.metadata.uid)).toHaveLength(1);
    expect(second.workers.size).toBe(0);
    expect(statusesOf(lost.metadata.uid)).toEqual([]);
    // Its logs are still there to read.
    const [kept] = await containersOf(second.runtime, lost.metadata.uid);
    expect(second.workers.logContainerId(lost.metadata.uid, 'app', false, undefined)).toBe(kept?.id);
    expect(second.workers.logContainerId(lost.metadata.uid, 'app', false, `hollow://${kept?.id}`)).toBe(kept?.id);
    await second.workers.sync([]);
    expect(await containersOf(second.runtime, lost.metadata.uid)).toEqual([]);
  });
});
