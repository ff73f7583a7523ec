/**
 * The workload against a real `kactus up` (process runtime, no Docker needed) for ~10 s, with the
 * server paused (SIGSTOP) for 4 s in the middle (past the 2 s per-operation deadline): every operation recorded, the history
 * linearizable, no acknowledged write lost, the Deployments converged. The clients are given two
 * dead endpoints before the real one — a port that refuses and a listener that never completes a
 * TLS handshake (as a SIGSTOPped master) — and must fail over past them: operations of unknown
 * outcome happen only around the pause. A read of the real history mutated to a stale value must
 * then be refused (the check is not vacuous on real data).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { startKactusUp, uniqueName, type KactusServer } from '../../e2e/harness.ts';
import { endpointFromKubeconfig } from './api-client.ts';
import { UNKNOWN, type Op } from './history.ts';
import type { KubeObjectInput, KubeObjectOutput } from './models/kube-object.ts';
import { checkWorkloadHistory, FINAL_READER, runPostChecks } from './post-run.ts';
import { formatCheckResult } from './report.ts';
import { startWorkload, type WorkloadHistory } from './workload.ts';

const RUN_MS = Number(process.env.KACTUS_WORKLOAD_MS ?? 10_000);
const PAUSE_MS = 4_000;
const OP_TIMEOUT_MS = 2_000;

let dir: string | undefined;
let up: KactusServer | undefined;
let silent: Server | undefined;
const held: Socket[] = [];

afterAll(async () => {
  await up?.proc.kill('SIGTERM');
  for (const s of held) s.destroy();
  await new Promise((r) => (silent ? silent.close(r) : r(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

/** A loopback port nobody listens on (bound, closed). */
async function refusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('workload against kactus up', () => {
  it(`records ${RUN_MS / 1000} s of concurrent operations that check linearizable, with failover past dead masters`, { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'kactus-workload-'));
    up = await startKactusUp(dir, { args: ['--runtime', 'process', '--node-name', uniqueName('wl-')] });
    const real = await endpointFromKubeconfig(up.kubeconfig);
    silent = createServer((socket) => held.push(socket)); // accepts, never speaks TLS
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', r));
    const silentUrl = `https://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const refusedUrl = `https://127.0.0.1:${await refusedPort()}`;
    const endpoints = [{ ...real, url: silentUrl }, { ...real, url: refusedUrl }, real];

    const workload = await startWorkload({ endpoints, prefix: uniqueName('wl'), clients: 4, deployments: 1, keyLifetimeMs: 4_000, api: { timeoutMs: OP_TIMEOUT_MS, connectTimeoutMs: 300 } });
    await delay((RUN_MS - PAUSE_MS) / 2);
    const pausedAt = workload.recorder.now();
    up.proc.child.kill('SIGSTOP');
    await delay(PAUSE_MS);
    up.proc.child.kill('SIGCONT');
    const resumedAt = workload.recorder.now();
    await delay((RUN_MS - PAUSE_MS) / 2);
    const history = await workload.stop();
    const report = await runPostChecks(workload, { convergeTimeoutMs: 60_000 });
    console.log(report.text);

    const unknown = history.filter((op) => op.output === UNKNOWN);
    const kinds = new Map<string, number>();
    for (const op of history) kinds.set(op.input.kind, (kinds.get(op.input.kind) ?? 0) + 1);
    console.log(`kinds: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}; ${workload.configMaps.size} ConfigMaps`);
    expect(report.missedFinalReads).toEqual([]);
    expect(report.check.verdict).toBe('ok');
    expect(report.lost).toEqual([]);
    expect(report.convergence.every((c) => c.convergedMs !== undefined)).toBe(true);
    expect(report.passed).toBe(true);
    // Unknown outcomes only for operations sent just before or during the pause; and some there.
    expect(unknown.filter((op) => op.call < pausedAt - OP_TIMEOUT_MS || op.call > resumedAt).map((op) => op.error)).toEqual([]);
    expect(unknown.length + workload.recorder.notSent).toBeGreaterThan(0);
    expect(workload.oddAnswers.size).toBe(0);
    expect(history.length).toBeGreaterThan(100);
    // Every kind of operation ran, and answers of every sort came back (so preconditions were exercised).
    for (const kind of ['create', 'get', 'update', 'delete', 'scale', 'get-scale', 'rollout']) expect(kinds.get(kind), kind).toBeGreaterThan(0);
    const statuses = new Set(history.map((op) => (op.output === UNKNOWN ? 'unknown' : op.output.status)));
    for (const status of ['ok', 'NotFound', 'AlreadyExists', 'Conflict']) expect(statuses, status).toContain(status);
    expect(history.filter((op) => op.process === FINAL_READER)).toHaveLength(workload.configMaps.size + 1);

    const mutated = staleRead(history);
    expect(mutated, 'a get after two acknowledged writes of its key').toBeDefined();
    const refused = checkWorkloadHistory(mutated!);
    expect(refused.verdict).toBe('illegal');
    console.log(`mutated: ${formatCheckResult(refused)}`);
  });
});

/**
 * The history with one ConfigMap get answering what an acknowledged write w0 wrote, although
 * another acknowledged write began after w0 returned and returned before the get began.
 */
function staleRead(history: WorkloadHistory): WorkloadHistory | undefined {
  const ops = history as Op<KubeObjectInput, KubeObjectOutput>[];
  const acked = (op: Op<KubeObjectInput, KubeObjectOutput>) => (op.input.kind === 'create' || op.input.kind === 'update') && op.output !== UNKNOWN && op.output.status === 'ok';
  for (const get of ops) {
    if (get.input.kind !== 'get' || !get.key.startsWith('ConfigMap ')) continue;
    const writes = ops.filter((op) => op.key === get.key && acked(op) && op.ret < get.call);
    const w0 = writes.find((w) => writes.some((w1) => w1.call > w.ret));
    if (!w0) continue;
    const output: KubeObjectOutput = { status: 'ok', value: (w0.input as { value: string }).value, rv: (w0.output as { rv: string }).rv };
    return history.map((op) => (op === get ? { ...op, output } : op));
  }
  return undefined;
}
