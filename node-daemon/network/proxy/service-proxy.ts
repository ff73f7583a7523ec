/**
 * The applier: keeps this daemon's nft table equal to the latest Services + EndpointSlices.
 *
 * Every `sync(state)` renders the whole table and replaces it in one `nft -f -` transaction.
 * Bursts coalesce: at most one `nft` runs at a time, and whatever arrived meanwhile is applied
 * next, latest state only — no fixed delay, so one change is in the kernel within one nft run
 * (a few ms) and a thousand changes cost a few runs, not a thousand.
 */
import { performance } from 'node:perf_hooks';
import { NO_AFFINITY, parseAffinitySets } from './affinity.ts';
import { inNetns, runChecked, spawnCommand, type CommandRunner } from '../commands.ts';
import { NftApplyError, ProxyClosedError } from './errors.ts';
import { enableKernelForwarding, ensureForwardAccept, removeForwardAccept, type ForwardAcceptState } from './host-forwarding.ts';
import { renderProxyRuleset, validateProxyConfig } from './render.ts';
import type { AffinityCarry, ProxyConfig, ProxyMetrics, ProxyState } from './types.ts';

export interface ServiceProxyOptions extends ProxyConfig {
  /** Run nft/iptables/sysctl inside this network namespace (a node simulated as a netns). */
  netns?: string;
  /** How commands run (default: spawn them; `netns` wraps it). Tests inject fakes. */
  run?: CommandRunner;
  /**
   * Set the forwarding sysctls and DOCKER-USER accept rules (default true). Off when the host
   * is prepared by someone else.
   */
  manageHostForwarding?: boolean;
  /** One line per failure and per recovery. */
  log?: (line: string) => void;
  /**
   * Called after every apply, successful or not, with the metrics as they now are (not after
   * a sync that found nothing to change).
   */
  onApplied?: (metrics: ProxyMetrics) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The kernel service proxy of one node daemon (kube-proxy's nftables mode). */
export class ServiceProxy {
  private readonly config: ProxyConfig;
  private readonly run: CommandRunner;
  private readonly manageHost: boolean;
  private readonly log: (line: string) => void;
  private readonly onApplied?: (metrics: ProxyMetrics) => void;

  /** The next state to apply and everyone waiting for it (or for a later one). */
  private pending?: { state: ProxyState; waiters: Waiter[] };
  /** The drain loop while it runs. */
  private draining?: Promise<void>;
  private closing?: Promise<void>;
  private host?: ForwardAcceptState;
  private failing = false;
  /** The last script applied, as rendered without affinity pairings. */
  private lastApplied?: string;
  private readonly stats: ProxyMetrics = { syncs: 0, unchanged: 0, failures: 0, lastDurationMs: 0, rules: 0, elements: 0, lastSyncAt: 0 };

  /** Throws InvalidProxyConfigError (naming the field) for a config that cannot be rendered. */
  constructor(options: ServiceProxyOptions) {
    const { netns, run, manageHostForwarding, log, onApplied, ...config } = options;
    // Canonical CIDRs from here on: iptables prints them so, and DOCKER-USER rules are matched
    // against what it prints.
    this.config = validateProxyConfig(config);
    this.run = netns ? inNetns(netns, run ?? spawnCommand) : (run ?? spawnCommand);
    this.manageHost = manageHostForwarding ?? true;
    this.log = log ?? (() => {});
    this.onApplied = onApplied;
  }

  /** The nft table this proxy owns. */
  get table(): string {
    return this.config.table;
  }

  /** Counters of applies so far (a copy). */
  get metrics(): ProxyMetrics {
    return { ...this.stats };
  }

  /**
   * Program the kernel for `state` (all Services and EndpointSlices the daemon knows).
   * Resolves once this state, or a later one that superseded it, is in the kernel; rejects
   * with the apply's error (NftApplyError with nft's stderr, HostSetupError) — the previous
   * table then stays in force and the next sync tries again — or ProxyClosedError. Callers
   * that fire and forget must still attach a `catch`.
   */
  sync(state: ProxyState): Promise<void> {
    if (this.closing) return Promise.reject(new ProxyClosedError(this.config.table));
    return new Promise<void>((resolve, reject) => {
      if (this.pending) {
        this.pending.state = state; // latest wins; earlier callers wait for it instead
        this.pending.waiters.push({ resolve, reject });
      } else {
        this.pending = { state, waiters: [{ resolve, reject }] };
      }
      this.draining ??= this.drain();
    });
  }

  /**
   * Stop syncing, delete the table and this table's DOCKER-USER rules. Waits for an apply in
   * flight; syncs not yet started are rejected with ProxyClosedError. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const abandoned = this.pending;
    this.pending = undefined;
    for (const w of abandoned?.waiters ?? []) w.reject(new ProxyClosedError(this.config.table));
    await this.draining;
    const errors: unknown[] = [];
    // Creating it first makes the delete succeed whether or not a table was ever applied.
    const table = this.config.table;
    await runChecked(this.run, ['nft', '-f', '-'], `table ip ${table} {}\ndelete table ip ${table}\n`).catch((err) => errors.push(err));
    if (this.manageHost) await removeForwardAccept(this.run, table, this.host).catch((err) => errors.push(err));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `closing service proxy ${table} failed`);
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const batch = this.pending;
      this.pending = undefined;
      try {
        await this.apply(batch.state);
        for (const w of batch.waiters) w.resolve();
      } catch (err) {
        for (const w of batch.waiters) w.reject(err);
      }
    }
    this.draining = undefined;
  }

  private async apply(state: ProxyState): Promise<void> {
    const started = performance.now();
    try {
      if (this.manageHost && !this.host) {
        await enableKernelForwarding(this.run);
        this.host = await ensureForwardAccept(this.run, this.config.table, this.config.clusterCIDR);
      }
      // The table as this state wants it, before any affinity pairings are written in: when it
      // equals what was last applied (a change that touches no rule: labels, status), nothing
      // needs doing — unless the table has gone (someone flushed the ruleset).
      const wanted = renderProxyRuleset({ ...state, config: this.config });
      if (wanted.script === this.lastApplied && (await this.tableExists())) {
        this.stats.unchanged++;
        return;
      }
      const affinity = await this.readAffinity(state);
      const { script, stats } = affinity.size ? renderProxyRuleset({ ...state, config: this.config, affinity }) : wanted;
      const result = await this.run(['nft', '-f', '-'], script);
      if (result.exitCode !== 0) throw new NftApplyError(this.config.table, result.stderr);
      this.lastApplied = wanted.script;
      for (const why of stats.skipped) this.log(`service proxy ${this.config.table}: skipped ${why}`);
      if (this.failing) this.log(`service proxy ${this.config.table}: rules applied again`);
      this.failing = false;
      Object.assign(this.stats, {
        syncs: this.stats.syncs + 1,
        rules: stats.rules,
        elements: stats.elements,
        lastSyncAt: Date.now(),
        lastDurationMs: performance.now() - started,
        lastError: undefined,
      });
      this.onApplied?.(this.metrics);
    } catch (err) {
      // `lastApplied` stays: nft's transaction is all or nothing, the kernel has that table.
      this.failing = true;
      Object.assign(this.stats, { failures: this.stats.failures + 1, lastError: (err as Error).message, lastDurationMs: performance.now() - started });
      this.log(`service proxy ${this.config.table}: ${(err as Error).message}`);
      this.onApplied?.(this.metrics);
      throw err;
    }
  }

  /** Our table is in the kernel (a cheap listing of table names). */
  private async tableExists(): Promise<boolean> {
    const listed = await this.run(['nft', 'list', 'tables', 'ip']).catch(() => undefined);
    return !!listed && listed.exitCode === 0 && listed.stdout.split('\n').some((l) => l.trim() === `table ip ${this.config.table}`);
  }

  /**
   * Affinity pairings of the table now in the kernel (ours, or a previous daemon's of the same
   * name), when any service asks for ClientIP affinity. A failed read only costs stickiness.
   */
  private async readAffinity(state: ProxyState): Promise<AffinityCarry> {
    if (!state.services.some((s) => s.spec?.sessionAffinity === 'ClientIP')) return NO_AFFINITY;
    const listed = await this.run(['nft', '-j', 'list', 'sets', 'table', 'ip', this.config.table]).catch(() => undefined);
    if (!listed || listed.exitCode !== 0) return NO_AFFINITY; // no table yet
    return parseAffinitySets(listed.stdout);
  }
}
