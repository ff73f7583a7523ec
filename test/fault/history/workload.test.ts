/**
 * The workload against a real `kactus up` (process runtime, no Docker needed) for ~10 s, no
 * faults: every operation recorded, the history linearizable, no acknowledged write lost, the
 * Deployments converged. The clients are given two dead endpoints before the real one — a port
 * that refuses and a listener that never completes a TLS handshake (as a SIGSTOPped master) —
 * and must fail over without an operation of unknown outcome.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { startKactusUp, uniqueName, type KactusServer } from '../../e2e/harness.ts';
import { endpointFromKubeconfig } from './api-client.ts';
import { UNKNOWN } from './history.ts';
import { checkWorkloadHistory, finalReads, FINAL_READER, lostAcknowledgedWrites, waitDeploymentsConverged, watchPodsOnTwoNodes } from './post-run.ts';
import { formatCheckResult } from './report.ts';
import { startWorkload } from './workload.ts';

const RUN_MS = Number(process.env.KACTUS_WORKLOAD_MS ?? 10_000);

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

    const placements = watchPodsOnTwoNodes(async () => [{ pod: 'probe', node: 'only' }]);
    const workload = await startWorkload({ endpoints, prefix: uniqueName('wl'), clients: 4, deployments: 1, keyLifetimeMs: 4_000, api: { timeoutMs: 5_000, connectTimeoutMs: 300 } });
    await delay(RUN_MS);
    const history = await workload.stop();
    const missed = await finalReads(workload);
    const placement = await placements.stop();

    const unknown = history.filter((op) => op.output === UNKNOWN);
    const kinds = new Map<string, number>();
    for (const op of history) kinds.set(op.input.kind, (kinds.get(op.input.kind) ?? 0) + 1);
    console.log(`history: ${history.length} ops (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}), ${unknown.length} unknown, ${workload.recorder.notSent} not sent, odd answers ${JSON.stringify([...workload.oddAnswers])}, ${workload.configMaps.size} ConfigMaps`);
    expect(missed).toEqual([]);
    expect(unknown.map((op) => op.error)).toEqual([]);
    expect(workload.oddAnswers.size).toBe(0);
    expect(history.length).toBeGreaterThan(100);
    // Every kind of operation ran, and answers of every sort came back (so preconditions were exercised).
    for (const kind of ['create', 'get', 'update', 'delete', 'scale', 'get-scale', 'rollout']) expect(kinds.get(kind), kind).toBeGreaterThan(0);
    const statuses = new Set(history.map((op) => (op.output === UNKNOWN ? 'unknown' : op.output.status)));
    for (const status of ['ok', 'NotFound', 'AlreadyExists', 'Conflict']) expect(statuses, status).toContain(status);
    expect(history.filter((op) => op.process === FINAL_READER)).toHaveLength(workload.configMaps.size + 1);

    const started = performance.now();
    const result = checkWorkloadHistory(history, { timeoutMs: 60_000 });
    console.log(`${formatCheckResult(result)} (checked in ${(performance.now() - started).toFixed(0)} ms)`);
    expect(result.verdict).toBe('ok');
    expect(lostAcknowledgedWrites(history)).toEqual([]);

    const converged = await waitDeploymentsConverged(workload, 60_000);
    console.log(`converged: ${converged.map((c) => `${c.name} ${c.convergedMs?.toFixed(0) ?? 'never'} ms (${c.last})`).join('; ')}`);
    expect(converged.every((c) => c.convergedMs !== undefined)).toBe(true);
    expect(placement.samples).toBeGreaterThan(10);
    expect(placement.doubles).toEqual([]);
  });
});
