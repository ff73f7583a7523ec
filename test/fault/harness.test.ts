/**
 * The nemesis over a fault cluster (`npm run test:fault`): 3 master hosts (`kactus master` with its own etcd member, + `kactus
 * master`) and 2 node hosts, random faults from a printed seed for a while, under a small write
 * workload (ConfigMaps created through the masters in turn) and a Deployment; then everything
 * healed. Checked: every acknowledged write is there, the Deployment (scaled during the run)
 * converges within 30 s of the heal, and the fault log holds each fault with its times. The
 * linearizability checker and the long run are the lead's (issue 14).
 *
 * `KACTUS_NEMESIS_SECONDS` (default 60), `KACTUS_NEMESIS_INTERVAL_MS` (default 3000),
 * `KACTUS_NEMESIS_SEED` (default random), `KACTUS_NEMESIS_HARSH=1` (quorum loss allowed).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { deployment } from '../e2e/heal-rounds.ts';
import { canRunFaultCluster, startFaultCluster, type FaultCluster } from './harness/cluster.ts';
import { deploymentConverged } from './harness/probes.ts';

const SECONDS = Number(process.env.KACTUS_NEMESIS_SECONDS ?? 60);
const INTERVAL_MS = Number(process.env.KACTUS_NEMESIS_INTERVAL_MS ?? 3000);
const SEED = process.env.KACTUS_NEMESIS_SEED === undefined ? undefined : Number(process.env.KACTUS_NEMESIS_SEED);
const HARSH = process.env.KACTUS_NEMESIS_HARSH === '1';

const enabled = await canRunFaultCluster();
let cluster: FaultCluster | undefined;

afterAll(async () => {
  await cluster?.close();
}, 120_000);

describe.skipIf(!enabled)('nemesis over a fault cluster', () => {
  it(`random faults for ${SECONDS} s: no acknowledged write lost, the Deployment converges after the heal`, { timeout: 240_000 + SECONDS * 2000 }, async () => {
    cluster = await startFaultCluster({ prefix: 'nm' });
    const c = cluster;
    const r = await c.kubectl()(['apply', '-f', '-'], deployment('nm', 3));
    expect(r.code, r.stderr).toBe(0);
    await deploymentConverged(c, 'nm', 'app=nm', 3, 60_000);

    // The workload: one create at a time through the masters in turn; a write is acknowledged
    // by a 201, and one that timed out is unknown (it may or may not have been applied).
    const acknowledged: string[] = [];
    let attempts = 0;
    let stop = false;
    const workload = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `w${i}`;
        attempts += 1;
        const res = await c.api[i % c.api.length]!
          .request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name }, data: { i: String(i) } }, 2_000)
          .catch(() => undefined);
        if (res?.status === 201) acknowledged.push(name);
        // Scale now and then: the Deployment must end at the last scale acknowledged.
        if (i % 25 === 12) {
          await c.api[(i + 1) % c.api.length]!.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/nm/scale', { spec: { replicas: 2 + ((i / 25) % 3) } }, 2_000).catch(() => undefined);
        }
        if (res === undefined || res.status >= 500) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const report = await c.nemesis({ durationMs: SECONDS * 1000, intervalMs: INTERVAL_MS, ...(SEED !== undefined ? { seed: SEED } : {}), harsh: HARSH });
    stop = true;
    await workload;

    const injected = report.records.filter((f) => !f.skipped);
    expect(injected.length).toBeGreaterThan(0);
    expect(injected.every((f) => f.healedAt !== undefined && f.healedAt >= f.injectedAt)).toBe(true);
    expect(c.active.size).toBe(0);
    expect(c.network.clean).toBe(true);

    const list = await c.api[0]!.request('GET', '/api/v1/namespaces/default/configmaps', undefined, 10_000);
    expect(list.status).toBe(200);
    const present = new Set((list.body as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name));
    const lost = acknowledged.filter((n) => !present.has(n));

    const scale = await c.api[1]!.request('GET', '/apis/apps/v1/namespaces/default/deployments/nm', undefined, 10_000);
    const replicas = (scale.body as { spec: { replicas: number } }).spec.replicas;
    const convergedMs = await deploymentConverged(c, 'nm', 'app=nm', replicas, 30_000);
    console.log(
      `nemesis seed ${report.seed}: ${c.log.summary()} in ${SECONDS} s (${report.idleTicks} ticks with no fault fitting the model); ` +
        `${acknowledged.length}/${attempts} writes acknowledged, ${lost.length} lost; Deployment at ${replicas} converged ${convergedMs} ms after the heal`,
    );
    expect(lost).toEqual([]);
  });
});
