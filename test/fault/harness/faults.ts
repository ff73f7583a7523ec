/**
 * Fault injectors: each puts one fault in place, records it in the fault log and returns an
 * `ActiveFault` whose `heal()` undoes it (idempotent; the log gets the heal time).
 *
 * - `kill(proc)`: `kill -9` now; heal = start it again on the same data dir and wait until it
 *   serves (an etcd member killed is the "member loss" fault: it rejoins from its data dir).
 * - `pause(proc)`: SIGSTOP; heal = SIGCONT.
 * - `isolate(host)`: the host hears nothing from, and reaches none of, the other hosts (and, with
 *   `client: true`, not the test process either).
 * - `split(a, b)`: the hosts of `a` and of `b` cannot reach each other; hosts in neither (and the
 *   test process) reach both.
 * - `loss(host, percent)`, `latency(host, ms, jitter)`: a bad link (netem; without netem, loss by
 *   nft and latency by a delay line in user space; the record's target says which). Latency that
 *   neither can make is skipped, with the reason, and its record has `skipped`.
 */
import type { FaultKind, FaultLog, FaultRecord } from './fault-log.ts';
import type { FaultTarget } from './host-process.ts';
import type { FaultHost } from './hosts.ts';
import type { NetworkFaults } from './network-faults.ts';

export interface ActiveFault {
  readonly record: FaultRecord;
  /** Undoes the fault; resolves when it is undone (a restarted program ready or given up on). */
  heal(): Promise<void>;
  readonly healed: boolean;
}

export interface FaultContext {
  log: FaultLog;
  network: NetworkFaults;
  /** Every host of the cluster. */
  hosts: readonly FaultHost[];
  /** The test process' address on the switch (blocked by `isolate(h, { client: true })`). */
  rootIP: string;
  /** How long a restarted program may take to be ready before the heal gives up (noted in the log). */
  restartTimeoutMs: number;
  /** Faults in force (injected, heal not finished): an injector adds, a finished heal removes. */
  active: Set<ActiveFault>;
}

/** Wraps an undo so it runs once, records the heal and never throws (failures become notes). */
function active(ctx: FaultContext, record: FaultRecord, undo: () => Promise<void>): ActiveFault {
  let healing: Promise<void> | undefined;
  let done = false;
  const fault: ActiveFault = {
    record,
    get healed() {
      return done;
    },
    heal() {
      healing ??= (async () => {
        try {
          await undo();
        } catch (err) {
          ctx.log.note(record, `undo failed: ${(err as Error).message.split('\n')[0]}`);
        }
        done = true;
        ctx.active.delete(fault);
        ctx.log.healed(record);
      })();
      return healing;
    },
  };
  ctx.active.add(fault);
  return fault;
}

function skipped(ctx: FaultContext, kind: FaultKind, target: string, hosts: string[], reason: string): ActiveFault {
  const record = ctx.log.add(kind, target, hosts, reason);
  return { record, healed: true, heal: () => Promise.resolve() };
}

const names = (hosts: readonly FaultHost[]): string => hosts.map((h) => h.name).join(' ');

/** The injectors over one cluster; each records its fault and returns it with its undo. */
export interface FaultInjectors {
  /** `kill -9` of `proc`; heal restarts it on the same data dir and waits until it serves. */
  kill(proc: FaultTarget): Promise<ActiveFault>;
  /** SIGSTOP of `proc`; heal sends SIGCONT. */
  pause(proc: FaultTarget): Promise<ActiveFault>;
  /** Cuts `host` off from every other host (and from the test process with `client: true`). */
  isolate(host: FaultHost, opts?: { client?: boolean }): Promise<ActiveFault>;
  /** Cuts `a` from `b`; `impaired` (default: the smaller side) is what the fault model counts. */
  split(a: readonly FaultHost[], b: readonly FaultHost[], impaired?: readonly FaultHost[]): Promise<ActiveFault>;
  /** Drops `percent` % of the packets each way on `host`'s link. */
  loss(host: FaultHost, percent: number): Promise<ActiveFault>;
  /** Delays every packet on `host`'s link by `delayMs` (± `jitterMs`) each way (netem or the delay line; skipped without either). */
  latency(host: FaultHost, delayMs: number, jitterMs?: number): Promise<ActiveFault>;
}

export function faultInjectors(ctx: FaultContext): FaultInjectors {
  return {
    /** `kill -9` of `proc`; heal restarts it on the same data dir. */
    async kill(proc: FaultTarget): Promise<ActiveFault> {
      if (!proc.running) return skipped(ctx, 'kill', proc.name, [proc.spec.host], 'not running');
      await proc.kill('SIGKILL');
      const record = ctx.log.add('kill', proc.name, [proc.spec.host]);
      return active(ctx, record, async () => {
        if (proc.running) return;
        proc.reapGroups();
        try {
          await proc.start(ctx.restartTimeoutMs);
        } catch (err) {
          // Not ready in time (an etcd member restarted alone in a partition has no leader): it
          // runs on, or is started again by healAll; the log says so.
          ctx.log.note(record, `restart not ready within ${ctx.restartTimeoutMs} ms: ${(err as Error).message.split('\n')[0]}`);
        }
      });
    },

    /** SIGSTOP of `proc`; heal sends SIGCONT. */
    pause(proc: FaultTarget): Promise<ActiveFault> {
      if (!proc.running || proc.isPaused) return Promise.resolve(skipped(ctx, 'pause', proc.name, [proc.spec.host], proc.running ? 'already paused' : 'not running'));
      proc.pause();
      const record = ctx.log.add('pause', proc.name, [proc.spec.host]);
      return Promise.resolve(active(ctx, record, () => Promise.resolve(proc.resume())));
    },

    /** Cuts `host` off from every other host (and from the test process with `client: true`). */
    async isolate(host: FaultHost, opts: { client?: boolean } = {}): Promise<ActiveFault> {
      const others = ctx.hosts.filter((h) => h !== host);
      const extra = opts.client ? [ctx.rootIP] : [];
      await ctx.network.block([host], others, extra);
      const record = ctx.log.add('isolate', `${host.name}${opts.client ? ' (and the client)' : ''}`, [host.name]);
      return active(ctx, record, () => ctx.network.unblock([host], others, extra));
    },

    /**
     * Splits `a` from `b`. `impaired` names the hosts the split takes out of service (those on the
     * side without an etcd majority); by default the smaller side.
     */
    async split(a: readonly FaultHost[], b: readonly FaultHost[], impaired?: readonly FaultHost[]): Promise<ActiveFault> {
      await ctx.network.block(a, b);
      const hurt = impaired ?? (a.length <= b.length ? a : b);
      const record = ctx.log.add('split', `${names(a)} | ${names(b)}`, hurt.map((h) => h.name));
      return active(ctx, record, () => ctx.network.unblock(a, b));
    },

    /** Drops `percent` % of the packets each way on `host`'s link. */
    async loss(host: FaultHost, percent: number): Promise<ActiveFault> {
      const reason = await ctx.network.shapeLink(host, { lossPercent: percent });
      const target = `${host.name} ${percent}% by ${(await ctx.network.netemSupport()).available ? 'netem' : 'nft'}`;
      if (reason) return skipped(ctx, 'loss', target, [host.name], reason);
      const record = ctx.log.add('loss', target, [host.name]);
      return active(ctx, record, async () => void (await ctx.network.shapeLink(host, { lossPercent: undefined })));
    },

    /** Delays every packet on `host`'s link by `delayMs` (± `jitterMs`) each way. */
    async latency(host: FaultHost, delayMs: number, jitterMs = 0): Promise<ActiveFault> {
      const support = await ctx.network.latencySupport();
      const target = `${host.name} ${delayMs}ms${jitterMs ? `±${jitterMs}ms` : ''}${support.by ? ` by ${support.by}` : ''}`;
      const reason = await ctx.network.shapeLink(host, { delayMs, jitterMs });
      if (reason) return skipped(ctx, 'latency', target, [host.name], reason);
      const record = ctx.log.add('latency', target, [host.name]);
      return active(ctx, record, async () => void (await ctx.network.shapeLink(host, { delayMs: undefined, jitterMs: undefined })));
    },
  };
}
