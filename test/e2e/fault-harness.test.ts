/**
 * The fault harness (test/fault/harness/) once through, short — the fault run's CI-sized part
 * (test/fault/fault-run.test.ts is the long one): 3 master hosts (`kactus master` with its own
 * etcd member, the README's HA commands) and 2 node hosts as network namespaces, one fault of each
 * kind — kill -9 and restart of a master, an etcd member and a node daemon, SIGSTOP/SIGCONT, a
 * host isolated, the hosts split in two, packet loss, latency (by netem, or by the delay line in
 * user space when the kernel has no netem) — and after each heal a write through a master is acknowledged and read
 * back through another; at the end a Deployment started before the faults and scaled after them
 * converges. A recorded client workload (test/fault/history/) runs throughout: no acknowledged
 * write lost, the history linearizable, its Deployment converged. Root only (network namespaces)
 * and etcd installed; skipped otherwise.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment } from './heal-rounds.ts';
import { canRunFaultCluster, startFaultCluster, type FaultCluster } from '../fault/harness/cluster.ts';
import type { ActiveFault } from '../fault/harness/faults.ts';
import { deploymentConverged, writeAndReadBack } from '../fault/harness/probes.ts';
import { endpointFromKubeconfig } from '../fault/history/api-client.ts';
import { runPostChecks } from '../fault/history/post-run.ts';
import { startWorkload, type Workload } from '../fault/history/workload.ts';

const enabled = await canRunFaultCluster();
let cluster: FaultCluster | undefined;
let workload: Workload | undefined;

/** How long a TCP connect from the test process to `ip:port` takes (one round trip). */
async function connectMs(ip: string, port: number): Promise<number> {
  const start = performance.now();
  const socket = connect({ host: ip, port });
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return performance.now() - start;
  } finally {
    socket.destroy();
  }
}

describe.skipIf(!enabled)('the fault harness', () => {
  beforeAll(async () => {
    cluster = await startFaultCluster({ prefix: 'fh' });
  }, 90_000);

  afterAll(async () => {
    await workload?.stop().catch(() => undefined);
    await cluster?.close();
  }, 60_000);

  it('injects one fault of each kind; after each heal the cluster takes writes, and a Deployment converges', async () => {
    const c = cluster!;
    const [m0, m1, m2] = c.masters;
    const [n0, n1] = c.nodes;
    // A recorded client workload through every master for the whole run (test/fault/history/).
    workload = await startWorkload({ endpoints: await Promise.all(c.masters.map((m) => endpointFromKubeconfig(m.kubeconfig))), prefix: 'fhw', clients: 3 });
    const r = await c.kubectl()(['apply', '-f', '-'], deployment('fh', 3));
    expect(r.code, r.stderr).toBe(0);
    await deploymentConverged(c, 'fh', 'app=fh', 3, 30_000);

    const rounds: [string, () => Promise<ActiveFault>][] = [
      ['kill -9 master', () => c.faults.kill(m0!.master)],
      ['etcd member loss', () => c.faults.kill(m1!.etcd!)],
      ['kill -9 node daemon', () => c.faults.kill(n0!.daemon)],
      ['SIGSTOP etcd member', () => c.faults.pause(m2!.etcd!)],
      ['isolate master host', () => c.faults.isolate(m1!.host)],
      ['split', () => c.faults.split([m2!.host, n1!.host], [m0!.host, m1!.host, n0!.host])],
      ['packet loss', () => c.faults.loss(n1!.host, 30)],
      ['latency', () => c.faults.latency(m0!.host, 50, 5)],
    ];
    for (const [i, [what, inject]] of rounds.entries()) {
      const fault = await inject();
      expect(c.active.has(fault) || fault.record.skipped !== undefined, what).toBe(true);
      // The latency is really there: a connect to m0's API takes a round trip of 2 × 50 (± 5) ms.
      if (fault.record.kind === 'latency' && !fault.record.skipped) expect(await connectMs(m0!.host.ip, 6443)).toBeGreaterThanOrEqual(90);
      // A write while the fault is in force: the majority keeps serving (acknowledged or not
      // within the time, it must not break anything); then healed, a write must go through.
      await writeAndReadBack(c, `during-${i}`, (i + 1) % 3, 3_000).catch(() => undefined);
      // In force for a second at least, so the programs notice (heartbeats, raft ticks).
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, fault.record.injectedAt + 1000 - Date.now())));
      await fault.heal();
      expect(fault.healed).toBe(true);
      const ms = await writeAndReadBack(c, `after-${i}`, i % 3);
      console.log(`${what}: ${fault.record.skipped ? `skipped (${fault.record.skipped})` : `healed; a write acknowledged ${ms} ms after the heal`}`);
    }
    const log = c.log.records;
    expect(log.map((f) => f.kind)).toEqual(['kill', 'kill', 'kill', 'pause', 'isolate', 'split', 'loss', 'latency']);
    expect(log.filter((f) => !f.skipped).every((f) => f.healedAt !== undefined && f.healedAt >= f.injectedAt)).toBe(true);
    // Latency is made by netem, or without it by the delay line; skipped only when neither works.
    const latency = await c.network.latencySupport();
    expect(log[7]!.skipped).toBe(latency.available ? undefined : latency.reason);
    if (latency.available) expect(log[7]!.target).toContain(`by ${latency.by}`);
    expect(c.active.size).toBe(0);
    expect(c.network.clean).toBe(true);

    await c.healAll(30_000);
    const r2 = await c.kubectl(1)(['scale', 'deployment/fh', '--replicas', '4']);
    expect(r2.code, r2.stderr).toBe(0);
    const ms = await deploymentConverged(c, 'fh', 'app=fh', 4, 30_000);
    console.log(`after ${c.log.summary()}: Deployment scaled 3 → 4 converged in ${ms} ms`);
    // The history of the workload: nothing acknowledged lost, linearizable, its Deployment converged.
    await workload!.stop();
    const post = await runPostChecks(workload!);
    console.log(post.text);
    expect(post.lost).toEqual([]);
    expect(post.check.verdict, post.text).toBe('ok');
    expect(post.passed, post.text).toBe(true);
  }, 180_000);
});
