/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does:
 * every `retryPeriod` each candidate tries to acquire or renew the Lease with a compare-and-swap
 * on its resourceVersion (through the Registry). A candidate takes the Lease over only when the
 * holder has not renewed it for `leaseDurationSeconds`, measured on the candidate's own clock from
 * the moment it last saw the record change (so clocks need not agree). A leader that cannot renew
 * within `renewDeadline` stops leading. Closing releases the Lease (holder cleared, duration 1 s)
 * so another candidate takes over at its next try.
 */
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { isRecord, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import type { Registry } from '../registry/registry.ts';
import { isNotFound } from '../registry/retry-on-conflict.ts';

const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;

export interface LeaderElectorOptions {
  registry: Registry;
  namespace: string;
  name: string;
  /** This candidate's identity, written to `spec.holderIdentity`. */
  identity: string;
  /** Kubernetes' default for controllers: 15. */
  leaseDurationSeconds: number;
  /** How long a leader keeps trying to renew before it stops leading (default 2/3 of the lease). */
  renewDeadlineMs?: number;
  /** Time between tries (client-go default 2 s). */
  retryPeriodMs?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  now?: () => Date;
  logger?: Logger;
}

/** MicroTime as Kubernetes writes it: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The last record seen and when (on our clock) it was first seen: the takeover clock. */
  private observed: { record: string; at: number } | undefined;
  private lastRenewAt = 0;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts trying; the first try runs at once. */
  start(): void {
    this.schedule(0);
  }

  /** Stops trying; a leader releases the Lease and gets onStoppedLeading. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.setLeading(false);
    // Release even when the last try won the Lease after stop() began: release() checks the holder.
    try {
      await this.release();
    } catch (err) {
      this.log.warn({ err }, 'could not release the leader lease');
    }
  }

  private get retryPeriodMs(): number {
    return this.opts.retryPeriodMs ?? 2000;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule(this.retryPeriodMs));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew();
    } catch (err) {
      this.log.warn({ err }, 'leader lease try failed');
    }
    if (this.stopped) return;
    if (acquired) {
      this.lastRenewAt = this.now().getTime();
      this.setLeading(true);
      return;
    }
    const deadline = this.opts.renewDeadlineMs ?? (this.opts.leaseDurationSeconds * 1000 * 2) / 3;
    if (this.leading && this.now().getTime() - this.lastRenewAt >= deadline) this.setLeading(false);
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity, leading }, leading ? 'became leader' : 'stopped leading');
    try {
      if (leading) this.opts.onStartedLeading();
      else this.opts.onStoppedLeading();
    } catch (err) {
      this.log.error({ err }, 'leader callback failed');
    }
  }

  /** One try: true when we hold the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { registry, namespace, name, identity } = this.opts;
    const now = this.now();
    let current: KubeObject | undefined;
    try {
      current = await registry.get(LEASES, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!current) {
      return this.write(() =>
        registry.create(LEASES, namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: this.spec(now, now, 0),
        }),
      );
    }
    const spec = isRecord(current.spec) ? current.spec : {};
    const holder = typeof spec.holderIdentity === 'string' ? spec.holderIdentity : '';
    const record = JSON.stringify(spec);
    if (this.observed?.record !== record) this.observed = { record, at: now.getTime() };
    const duration = typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : this.opts.leaseDurationSeconds;
    const expired = this.observed.at + duration * 1000 <= now.getTime();
    if (holder !== '' && holder !== identity && !expired) return false;
    const transitions = typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0;
    const ours = holder === identity;
    const acquireTime = ours && typeof spec.acquireTime === 'string' ? spec.acquireTime : microTime(now);
    const next: KubeObject = { ...current, spec: { ...this.spec(now, now, ours ? transitions : transitions + 1), acquireTime } };
    // The read resourceVersion stays in `next`: the update is a compare-and-swap on it.
    return this.write(() => registry.update(LEASES, namespace, name, next));
  }

  private spec(acquire: Date, renew: Date, transitions: number): Record<string, unknown> {
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.opts.leaseDurationSeconds,
      acquireTime: microTime(acquire),
      renewTime: microTime(renew),
      leaseTransitions: transitions,
    };
  }

  /** Runs a write; a lost race (Conflict, AlreadyExists) means another candidate won this round. */
  private async write(fn: () => Promise<KubeObject>): Promise<boolean> {
    try {
      const written = await fn();
      this.observed = { record: JSON.stringify(written.spec), at: this.now().getTime() };
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists')) return false;
      throw err;
    }
  }

  /** Gives the Lease up so the next candidate need not wait for it to expire (ReleaseOnCancel). */
  private async release(): Promise<void> {
    const { registry, namespace, name, identity } = this.opts;
    const current = await registry.get(LEASES, namespace, name);
    const spec = isRecord(current.spec) ? current.spec : {};
    if (spec.holderIdentity !== identity) return;
    const now = microTime(this.now());
    await registry.update(LEASES, namespace, name, { ...current, spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now } });
  }
}
