/**
 * The nemesis: random faults from a seeded PRNG (the seed is printed; the same seed on the same
 * cluster shape draws the same choices), one about every `intervalMs`, each held for a random
 * time and then healed, for `durationMs`; then everything is healed and the run's fault records
 * returned.
 *
 * The fault model: a fault "impairs" hosts — a kill or pause its program's host, an isolation
 * its host, a split the hosts on the side without a majority of the masters, a bad link its
 * host. A fault is drawn only if, with the faults in force, at most `maxImpairedMasters` master
 * hosts (default 1: the etcd and master quorum always stands) and `maxImpairedNodes` node hosts
 * (default 1: pods always have somewhere to go) are impaired, and (unless `stack`) it impairs no
 * host already impaired. `harsh: true` lifts the master limit to all masters and allows stacking:
 * quorum loss becomes part of the run.
 */
import type { FaultCluster } from './cluster.ts';
import type { FaultKind, FaultRecord } from './fault-log.ts';
import type { ActiveFault } from './faults.ts';
import type { FaultHost } from './hosts.ts';

export const ALL_FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'isolate', 'split', 'loss', 'latency'];

export interface NemesisOptions {
  /** PRNG seed (default: random); printed at the start. */
  seed?: number;
  /** How long to inject faults (ms); healing afterwards adds to it. */
  durationMs: number;
  /** Mean time between injections (ms); each gap is uniform in [0.5, 1.5] × this. */
  intervalMs: number;
  /** How long each fault stays, uniform in [min, max] ms (default [2000, 8000]). */
  holdMs?: [number, number];
  /** Which kinds to draw from (default all; latency is left out when neither netem nor the delay line works). */
  kinds?: readonly FaultKind[];
  maxImpairedMasters?: number;
  maxImpairedNodes?: number;
  /** Allow a fault on a host already impaired (default false). */
  stack?: boolean;
  /** All masters may be impaired at once, faults may stack. */
  harsh?: boolean;
  /** Loss in percent, uniform in [min, max] (default [10, 40]). */
  lossPercent?: [number, number];
  /** Delay in ms, uniform in [min, max] (default [50, 300]); jitter is a tenth of it. */
  latencyMs?: [number, number];
  /** How long the final heal may take (default 120 s). */
  healTimeoutMs?: number;
  /** Stops injecting early (what is in force is still healed). */
  signal?: AbortSignal;
}

export interface NemesisReport {
  seed: number;
  /** The faults this run injected or skipped, in order. */
  records: FaultRecord[];
  /** Injections that had to wait because no fault fit the fault model with the faults in force. */
  idleTicks: number;
  /** Date.now() when the last fault was healed and the cluster was healthy again. */
  healedAt: number;
}

/** mulberry32: a small, well-known 32-bit PRNG; enough for choosing faults reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fault to inject: the hosts it will impair and how to inject it. */
interface Plan {
  impairs: FaultHost[];
  inject(): Promise<ActiveFault>;
}

/** Hosts on the side of a split without a majority of the masters. */
export function minoritySide<H extends Pick<FaultHost, 'kind'>>(a: readonly H[], b: readonly H[], masterCount: number): readonly H[] {
  const mastersIn = (side: readonly H[]) => side.filter((h) => h.kind === 'master').length;
  return mastersIn(a) * 2 > masterCount ? b : a;
}

export interface FaultModelLimits {
  maxMasters: number;
  maxNodes: number;
  /** A fault may impair a host already impaired. */
  stack: boolean;
}

/** Whether a fault impairing `adding` fits the model while the hosts named in `impaired` already are. */
export function fitsFaultModel(hosts: readonly Pick<FaultHost, 'name' | 'kind'>[], impaired: ReadonlySet<string>, adding: readonly Pick<FaultHost, 'name'>[], limits: FaultModelLimits): boolean {
  if (!limits.stack && adding.some((h) => impaired.has(h.name))) return false;
  const after = new Set([...impaired, ...adding.map((h) => h.name)]);
  const count = (kind: string) => hosts.filter((h) => h.kind === kind && after.has(h.name)).length;
  return count('master') <= limits.maxMasters && count('node') <= limits.maxNodes;
}

export async function runNemesis(cluster: FaultCluster, opts: NemesisOptions): Promise<NemesisReport> {
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const between = ([lo, hi]: [number, number]): number => lo + random() * (hi - lo);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const masterCount = cluster.masters.length;
  const maxMasters = opts.harsh ? masterCount : (opts.maxImpairedMasters ?? 1);
  const maxNodes = opts.harsh ? cluster.nodes.length : (opts.maxImpairedNodes ?? 1);
  const stack = opts.harsh === true || opts.stack === true;
  const latency = await cluster.network.latencySupport();
  const wanted = opts.kinds ?? ALL_FAULT_KINDS;
  // Drawn and skipped, latency would only thin out the run: left out, said once.
  const kinds = latency.available ? wanted : wanted.filter((k) => k !== 'latency');
  if (kinds.length < wanted.length) cluster.log.info(`nemesis: latency faults left out: ${latency.reason}`);
  if (kinds.length === 0) throw new Error('nemesis: no fault kind to draw from');
  const hold = opts.holdMs ?? [2000, 8000];
  const firstId = cluster.log.records.length;
  cluster.log.info(`nemesis: seed ${seed}, ${kinds.join('/')} every ~${opts.intervalMs} ms for ${opts.durationMs} ms, hold ${hold[0]}-${hold[1]} ms, at most ${maxMasters} master and ${maxNodes} node hosts impaired${stack ? ', stacking' : ''}`);

  // Hosts impaired by the faults in force (all of them, this nemesis' and the test's own).
  const impaired = (): Set<string> => new Set([...cluster.active].flatMap((f) => f.record.hosts));
  const fits = (hosts: readonly FaultHost[]): boolean => fitsFaultModel(cluster.hosts, impaired(), hosts, { maxMasters, maxNodes, stack });
  const hostOf = (name: string): FaultHost => cluster.hosts.find((h) => h.name === name)!;

  const plan = (kind: FaultKind): Plan | undefined => {
    switch (kind) {
      case 'kill':
      case 'pause': {
        const proc = pick(cluster.processes().filter((p) => p.running && !p.isPaused));
        if (!proc) return undefined;
        const host = hostOf(proc.spec.host);
        return { impairs: [host], inject: () => (kind === 'kill' ? cluster.faults.kill(proc) : cluster.faults.pause(proc)) };
      }
      case 'isolate': {
        const host = pick(cluster.hosts);
        return { impairs: [host], inject: () => cluster.faults.isolate(host) };
      }
      case 'split': {
        const shuffled = [...cluster.hosts];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const cut = 1 + Math.floor(random() * (shuffled.length - 1));
        const a = shuffled.slice(0, cut);
        const b = shuffled.slice(cut);
        const minority = minoritySide(a, b, masterCount);
        return { impairs: [...minority], inject: () => cluster.faults.split(a, b, minority) };
      }
      case 'loss': {
        const host = pick(cluster.hosts);
        const percent = Math.round(between(opts.lossPercent ?? [10, 40]));
        return { impairs: [host], inject: () => cluster.faults.loss(host, percent) };
      }
      case 'latency': {
        const host = pick(cluster.hosts);
        const ms = Math.round(between(opts.latencyMs ?? [50, 300]));
        return { impairs: [host], inject: () => cluster.faults.latency(host, ms, Math.round(ms / 10)) };
      }
    }
  };

  const timed: { fault: ActiveFault; healAt: number }[] = [];
  const healing: Promise<void>[] = [];
  let idleTicks = 0;
  let waiting = false;
  const start = Date.now();
  let nextInjection = start;
  while (Date.now() < start + opts.durationMs && !opts.signal?.aborted) {
    const now = Date.now();
    for (const t of timed.filter((t) => t.healAt <= now)) {
      timed.splice(timed.indexOf(t), 1);
      healing.push(t.fault.heal());
    }
    if (now >= nextInjection) {
      let chosen: Plan | undefined;
      // The kinds in a random order (each keeps its share), for each a few targets until one fits.
      const order = [...kinds];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const kind of order) {
        for (let tries = 0; tries < 20 && !chosen; tries++) {
          const p = plan(kind);
          if (p && fits(p.impairs)) chosen = p;
        }
        if (chosen) break;
      }
      if (chosen) {
        const fault = await chosen.inject();
        if (!fault.healed) timed.push({ fault, healAt: Date.now() + between(hold) });
        nextInjection = Date.now() + opts.intervalMs * (0.5 + random());
        waiting = false;
      } else {
        // Nothing fits while the faults in force stand: try again soon (keeps the rate), count it once.
        if (!waiting) idleTicks += 1;
        waiting = true;
        nextInjection = now + 250;
      }
    }
    const wake = Math.min(nextInjection, ...timed.map((t) => t.healAt), start + opts.durationMs);
    await new Promise((resolve) => setTimeout(resolve, Math.max(10, wake - Date.now())));
  }
  await Promise.all([...healing, ...timed.map((t) => t.fault.heal())]);
  await cluster.healAll(opts.healTimeoutMs ?? 120_000);
  const healedAt = Date.now();
  const records = cluster.log.records.slice(firstId);
  cluster.log.info(`nemesis: seed ${seed} done: ${records.filter((r) => !r.skipped).length} faults, ${records.filter((r) => r.skipped).length} skipped, ${idleTicks} idle ticks; healed and healthy ${((healedAt - start) / 1000).toFixed(1)} s after the start`);
  return { seed, records, idleTicks, healedAt };
}
