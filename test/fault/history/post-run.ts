/**
 * The checks after a fault run, once the faults are healed and the workload stopped:
 * - final reads of every key, recorded in the history (so the linearizability check also proves
 *   that the final state agrees with some order of every acknowledged write);
 * - acknowledged writes lost: a direct count, independent of the search;
 * - the whole history checked for linearizability, key by key;
 * - every Deployment converged (ready = updated = replicas = spec) within a deadline;
 * - no pod running on two nodes at once, from a sampler the harness supplies.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { UNKNOWN, byKey, formatOp, type Op, type Outcome } from './history.ts';
import { anyModel, checkHistory, type AnyModel, type CheckBudget, type CheckResult } from './linearizability.ts';
import { deploymentSpecModel } from './models/deployment-spec.ts';
import { kubeObjectModel, type KubeObjectInput, type KubeObjectOutput } from './models/kube-object.ts';
import { formatCheckResult } from './report.ts';
import { configMapKey, deploymentKey, type Workload, type WorkloadHistory, type WorkloadInput, type WorkloadOutput } from './workload.ts';

/** The process number of the final reads in the history. */
export const FINAL_READER = 1_000_000;

/**
 * Reads every ConfigMap and Deployment the workload used, once each, as operations of process
 * FINAL_READER; a read without an answer is retried until `timeoutMs`. Call after `stop()`.
 * Returns the keys that got no answer at all.
 */
export async function finalReads(workload: Workload, timeoutMs = 30_000): Promise<string[]> {
  const { recorder, namespace, client, api } = workload;
  const deadline = recorder.now() + timeoutMs;
  const missed: string[] = [];
  const reads: { key: string; read: () => Promise<Outcome<WorkloadOutput>> }[] = [
    ...[...workload.configMaps].map((name) => ({ key: configMapKey(namespace, name), read: () => api.getConfigMap(client, name) })),
    ...workload.deployments.map((name) => ({ key: deploymentKey(namespace, name), read: () => api.getDeployment(client, name) })),
  ];
  for (const { key, read } of reads) {
    for (;;) {
      const op = await recorder.invoke(FINAL_READER, key, { kind: 'get' }, read);
      if (op.output !== UNKNOWN) break;
      if (recorder.now() > deadline) {
        missed.push(key);
        break;
      }
      await delay(200);
    }
  }
  return missed;
}

/** The model of a workload key: by its first word (workload.ts's configMapKey / deploymentKey). */
export function workloadModel(key: string): AnyModel<WorkloadInput, WorkloadOutput> {
  if (key.startsWith('ConfigMap ')) return anyModel(kubeObjectModel()) as AnyModel<WorkloadInput, WorkloadOutput>;
  if (key.startsWith('Deployment ')) return anyModel(deploymentSpecModel()) as AnyModel<WorkloadInput, WorkloadOutput>;
  throw new Error(`no model for key ${key}`);
}

/** Checks a workload's history (final reads included) for linearizability. */
export function checkWorkloadHistory(history: WorkloadHistory, budget: CheckBudget = {}): CheckResult<WorkloadInput, WorkloadOutput> {
  return checkHistory(history, workloadModel, budget);
}

/** An acknowledged write the final state does not account for. */
export interface LostWrite {
  key: string;
  write: Op<KubeObjectInput, KubeObjectOutput>;
  /** The final read. */
  final: Op<KubeObjectInput, KubeObjectOutput>;
  why: string;
}

/**
 * Acknowledged ConfigMap writes that the final read contradicts, by real time alone (no search):
 * the final value was written by X, and a write acknowledged after X's return began — it should
 * have replaced X's value; or the final read finds nothing, and an acknowledged write began after
 * every delete that might have removed it had returned; or the final value is one no write wrote.
 * The last read of each key by FINAL_READER is its final read.
 */
export function lostAcknowledgedWrites(history: WorkloadHistory): LostWrite[] {
  const lost: LostWrite[] = [];
  for (const [key, all] of byKey(history)) {
    if (!key.startsWith('ConfigMap ')) continue;
    const ops = all as Op<KubeObjectInput, KubeObjectOutput>[];
    const final = ops.filter((op) => op.process === FINAL_READER && op.output !== UNKNOWN).at(-1);
    if (!final || final.output === UNKNOWN) continue;
    const writes = ops.filter((op) => op !== final && (op.input.kind === 'create' || op.input.kind === 'update'));
    const acked = writes.filter((op) => op.output !== UNKNOWN && op.output.status === 'ok');
    if (final.output.status === 'ok') {
      const value = final.output.value;
      const writer = writes.find((op) => 'value' in op.input && op.input.value === value);
      if (!writer) {
        lost.push({ key, write: final, final, why: `the final value ${JSON.stringify(value)} was never written` });
        continue;
      }
      // A delete after the writer could also have removed it — but then the key would be absent.
      for (const w of acked) if (w.call > writer.ret) lost.push({ key, write: w, final, why: `acknowledged after ${JSON.stringify(value)} was written (#${writer.id}), yet the final read shows that value` });
    } else {
      const deletes = ops.filter((op) => op.input.kind === 'delete' && (op.output === UNKNOWN || op.output.status === 'ok'));
      for (const w of acked) if (deletes.every((d) => d.ret < w.call)) lost.push({ key, write: w, final, why: 'acknowledged after every delete had returned, yet the final read finds nothing' });
    }
  }
  return lost;
}

/** A Deployment's convergence: when (ms after the wait began) its status matched its spec. */
export interface Convergence {
  name: string;
  convergedMs?: number;
  /** The last status seen (for the report when it did not converge). */
  last: string;
}

/**
 * Waits until every Deployment's status shows its spec rolled out: observedGeneration ≥
 * generation, and replicas, updatedReplicas, readyReplicas and availableReplicas all equal to
 * spec.replicas (no old pods left). Returns each one's time; a Deployment that has not by
 * `timeoutMs` has no `convergedMs`.
 */
export async function waitDeploymentsConverged(workload: Pick<Workload, 'client' | 'namespace' | 'deployments'>, timeoutMs = 30_000): Promise<Convergence[]> {
  const started = performance.now();
  const pending = new Map(workload.deployments.map((name) => [name, { name, last: 'not read' } as Convergence]));
  const done: Convergence[] = [];
  while (pending.size > 0) {
    for (const c of [...pending.values()]) {
      const answer = await workload.client.request('GET', `/apis/apps/v1/namespaces/${workload.namespace}/deployments/${c.name}`).catch((err: Error) => err);
      if (answer instanceof Error) {
        c.last = answer.message;
        continue;
      }
      const body = answer.body as { metadata?: { generation?: number }; spec?: { replicas?: number }; status?: Record<string, number | undefined> };
      const want = body.spec?.replicas ?? 1;
      const s = body.status ?? {};
      c.last = `HTTP ${answer.status}: spec ${want}, generation ${body.metadata?.generation} observed ${s.observedGeneration}, replicas ${s.replicas ?? 0} updated ${s.updatedReplicas ?? 0} ready ${s.readyReplicas ?? 0} available ${s.availableReplicas ?? 0}`;
      const converged =
        answer.status === 200 &&
        (s.observedGeneration ?? 0) >= (body.metadata?.generation ?? 0) &&
        [s.replicas, s.updatedReplicas, s.readyReplicas, s.availableReplicas].every((n) => (n ?? 0) === want);
      if (converged) {
        pending.delete(c.name);
        done.push({ ...c, convergedMs: performance.now() - started });
      }
    }
    if (pending.size === 0 || performance.now() - started > timeoutMs) break;
    await delay(250);
  }
  return [...done, ...pending.values()];
}

/** Where pods run at one moment, as the harness sees it (the kernel's view, not the API's). */
export type PodPlacementSampler = () => Promise<{ pod: string; node: string }[]>;

/** A pod seen on more than one node in one sample. */
export interface DoubleRun {
  at: string;
  pod: string;
  nodes: string[];
}

/**
 * Samples `sampler` every `periodMs` until stopped and records every pod name seen on two or more
 * nodes in one sample. `names` limits the check (StatefulSet identities: Deployment pods have
 * fresh names, so only a name's reuse can run twice).
 */
export function watchPodsOnTwoNodes(sampler: PodPlacementSampler, opts: { periodMs?: number; names?: (pod: string) => boolean } = {}): { stop(): Promise<{ samples: number; failedSamples: number; doubles: DoubleRun[] }> } {
  let stopped = false;
  let samples = 0;
  let failedSamples = 0;
  const doubles: DoubleRun[] = [];
  const loop = (async () => {
    while (!stopped) {
      try {
        const where = new Map<string, Set<string>>();
        for (const { pod, node } of await sampler()) if (!opts.names || opts.names(pod)) where.set(pod, (where.get(pod) ?? new Set()).add(node));
        samples += 1;
        for (const [pod, nodes] of where) if (nodes.size > 1) doubles.push({ at: new Date().toISOString(), pod, nodes: [...nodes].sort() });
      } catch {
        failedSamples += 1;
      }
      await delay(opts.periodMs ?? 100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { samples, failedSamples, doubles };
    },
  };
}

/** Everything the post-run checks found, and the figures as text. */
export interface PostRunReport {
  /** Keys whose final read got no answer by its deadline. */
  missedFinalReads: string[];
  check: CheckResult<WorkloadInput, WorkloadOutput>;
  lost: LostWrite[];
  convergence: Convergence[];
  /** Operations recorded, of unknown outcome, and never sent. */
  ops: { recorded: number; unknown: number; notSent: number; acknowledgedWrites: number };
  /** Whether everything passed: no missed final read, linearizable ('ok'), nothing lost, all converged. */
  passed: boolean;
  text: string;
}

/**
 * The post-run checks in order, after `workload.stop()` and once the faults are healed: final
 * reads, the linearizability check, lost acknowledged writes, Deployment convergence.
 */
export async function runPostChecks(workload: Workload, opts: { finalReadTimeoutMs?: number; checkBudget?: CheckBudget; convergeTimeoutMs?: number } = {}): Promise<PostRunReport> {
  const missedFinalReads = await finalReads(workload, opts.finalReadTimeoutMs);
  const history = workload.recorder.ops;
  const started = performance.now();
  const check = checkWorkloadHistory(history, opts.checkBudget ?? { timeoutMs: 120_000 });
  const checkMs = performance.now() - started;
  const lost = lostAcknowledgedWrites(history);
  const convergence = await waitDeploymentsConverged(workload, opts.convergeTimeoutMs ?? 30_000);
  const writes = new Set(['create', 'update', 'delete', 'scale', 'rollout']);
  const ops = {
    recorded: history.length,
    unknown: history.filter((op) => op.output === UNKNOWN).length,
    notSent: workload.recorder.notSent,
    acknowledgedWrites: history.filter((op) => writes.has(op.input.kind) && op.output !== UNKNOWN && op.output.status === 'ok').length,
  };
  const passed = missedFinalReads.length === 0 && check.verdict === 'ok' && lost.length === 0 && convergence.every((c) => c.convergedMs !== undefined);
  const lines = [
    `operations: ${ops.recorded} recorded (${ops.acknowledgedWrites} acknowledged writes), ${ops.unknown} of unknown outcome, ${ops.notSent} not sent; odd answers ${JSON.stringify([...workload.oddAnswers])}`,
    `${formatCheckResult(check)} (${(checkMs / 1000).toFixed(1)} s)`,
    `acknowledged writes lost: ${lost.length}${lost.map((l) => `\n  ${l.key}: ${formatOp(l.write)} — ${l.why}`).join('')}`,
    `Deployments converged: ${convergence.filter((c) => c.convergedMs !== undefined).length}/${convergence.length}${convergence.map((c) => `\n  ${c.name}: ${c.convergedMs === undefined ? 'not converged' : `${(c.convergedMs / 1000).toFixed(1)} s`} (${c.last})`).join('')}`,
    ...(missedFinalReads.length > 0 ? [`final reads without an answer: ${missedFinalReads.join(', ')}`] : []),
  ];
  return { missedFinalReads, check, lost, convergence, ops, passed, text: lines.join('\n') };
}
