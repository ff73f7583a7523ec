/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does, made
 * fast and fenced.
 *
 * Every `retryPeriod` each candidate tries to acquire or renew the Lease with a compare-and-swap
 * on its resourceVersion (through the Registry). A candidate takes the Lease over only when the
 * holder has not renewed it for `leaseDurationSeconds`, measured on the candidate's own clock from
 * the moment it last saw the record change (so clocks need not agree, and a candidate that was
 * itself paused sees a changed record first and restarts its count). Closing releases the Lease
 * (holder cleared) and candidates watching it try at once, so a polite handover waits for nothing.
 *
 * Fencing (src/store/fenced.ts): `fence()` is what the leader's writes compare — the Lease key's
 * revision as this elector last wrote it. A leader that was paused past its lease and resumes
 * cannot write once another has taken over: each of its writes fails in the store, atomically,
 * and the first one refused makes it re-read the Lease and step down at once. That is what lets
 * the lease be short (a false failover under load or a long GC pause costs a handover, never two
 * leaders acting) and the renew deadline long: a leader stops leading when it sees another holder,
 * not on its own clock; the deadline only ends the leadership of a master cut off from the store.
 */
import pino, { type Logger } from 'pino';
import { findKind, type ResourceInfo } from '../api/kinds.ts';
import { objectKey } from '../api/metadata.ts';
import { isRecord, type KubeObject } from '../api/object.ts';
import { ApiError } from '../api/status.ts';
import type { Registry } from '../registry/registry.ts';
import type { RegistryWatch } from '../registry/types.ts';
import { isNotFound } from '../registry/retry-on-conflict.ts';
import type { Fence } from '../store/fenced.ts';

const LEASES = findKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;

/**
 * Defaults chosen for a handover within ~1.5 s (src/master/README.md, "Leader election"): a 1 s
 * lease — etcd's own election timeout — renewed every 250 ms, so a candidate acts 0.75–1.25 s
 * after the leader's death; Kubernetes' 15 s / 10 s / 2 s suit a leader that has no fencing.
 */
export const LEADER_ELECTION_DEFAULTS = { leaseDurationSeconds: 1, retryPeriodMs: 250, renewDeadlineMs: 10_000 } as const;

export interface LeaderElectorOptions {
  registry: Registry;
  namespace: string;
  name: string;
  /** This candidate's identity, written to `spec.holderIdentity`. */
  identity: string;
  /** How long a holder's silence lets another candidate take over (default 1). */
  leaseDurationSeconds?: number;
  /** How long a leader that cannot reach the store keeps leading (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between tries and renewals (default 250 ms). */
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

/** After a try: we hold the Lease; or who does ('' = nobody, or unknown after a lost race) and when it expires for us. */
type TryOutcome = { held: true } | { held: false; holder: string; expiresAt?: number };

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** A nudge came while a try ran: try again as soon as it ends. */
  private again = false;
  /** When the next try is due, if sooner than a period from now (the holder's Lease expiring). */
  private nextTryAt: number | undefined;
  private watch: RegistryWatch | undefined;
  /** The last record seen and when (on our clock) it was first seen: the takeover clock. */
  private observed: { record: string; at: number } | undefined;
  private lastRenewAt = 0;
  /** The Lease's resourceVersion as our last successful write left it: the fencing token. */
  private token: number | undefined;
  private readonly now: () => Date;
  private readonly log: Logger;
  private readonly leaseDurationSeconds: number;
  private readonly retryPeriodMs: number;
  private readonly renewDeadlineMs: number;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.leaseDurationSeconds = opts.leaseDurationSeconds ?? LEADER_ELECTION_DEFAULTS.leaseDurationSeconds;
    this.retryPeriodMs = opts.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * The fence the leader's writes go through (`fencedStore(store, elector.fence())`): the Lease
   * key and the revision this elector last wrote it at, while it leads.
   */
  fence(): Fence {
    return {
      key: objectKey(LEASES, this.opts.namespace, this.opts.name),
      revision: () => (this.leading ? this.token : undefined),
      settled: async () => {
        await this.running;
        return this.leading ? this.token : undefined;
      },
      // Someone else wrote the Lease: find out now rather than at the next renewal.
      fencedOff: () => this.nudge(),
    };
  }

  /** Starts trying; the first try runs at once. */
  start(): void {
    this.schedule(0);
  }

  /** Stops trying; a leader releases the Lease and gets onStoppedLeading. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.watch?.close();
    await this.running;
    this.setLeading(false);
    this.token = undefined;
    // Release even when the last try won the Lease after stop() began: release() checks the holder.
    try {
      await this.release();
    } catch (err) {
      this.log.warn({ err }, 'could not release the leader lease');
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick().finally(() => {
        this.running = undefined;
        const soon = this.again;
        this.again = false;
        const due = this.nextTryAt === undefined ? this.retryPeriodMs : Math.max(0, this.nextTryAt - this.now().getTime());
        this.nextTryAt = undefined;
        this.schedule(soon ? 0 : Math.min(due, this.retryPeriodMs));
      });
    }, delayMs);
  }

  /** Try now (or right after the try under way): the Lease changed hands or a write was fenced off. */
  private nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private async tick(): Promise<void> {
    this.ensureWatch();
    let outcome: TryOutcome | undefined;
    try {
      outcome = await this.tryAcquireOrRenew();
    } catch (err) {
      this.log.warn({ err }, 'leader lease try failed');
    }
    if (this.stopped) return;
    if (outcome?.held) {
      this.lastRenewAt = this.now().getTime();
      this.setLeading(true);
      return;
    }
    // A candidate tries again the moment the holder's Lease would expire, not up to a period later.
    if (outcome && !outcome.held && outcome.expiresAt !== undefined) this.nextTryAt = outcome.expiresAt + 1;
    if (!this.leading) return;
    // Deposed: another holds a live Lease (our writes are fenced off already); stop at once.
    if (outcome && outcome.holder !== '') {
      this.log.warn({ holder: outcome.holder }, 'leader lease taken over; stepping down');
      this.setLeading(false);
    } else if (this.now().getTime() - this.lastRenewAt >= this.renewDeadlineMs) {
      this.setLeading(false);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (!leading) this.token = undefined;
    this.log.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity, leading }, leading ? 'became leader' : 'stopped leading');
    try {
      if (leading) this.opts.onStartedLeading();
      else this.opts.onStoppedLeading();
    } catch (err) {
      this.log.error({ err }, 'leader callback failed');
    }
  }

  /** One try: whether we hold the Lease afterwards, else who does ('' = nobody, or unknown after a lost race). */
  private async tryAcquireOrRenew(): Promise<TryOutcome> {
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
    this.observe(spec, now.getTime());
    const duration = typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : this.leaseDurationSeconds;
    const expiresAt = this.observed!.at + duration * 1000;
    if (holder !== '' && holder !== identity && expiresAt > now.getTime()) return { held: false, holder, expiresAt };
    const transitions = typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0;
    const ours = holder === identity;
    const acquireTime = ours && typeof spec.acquireTime === 'string' ? spec.acquireTime : microTime(now);
    const next: KubeObject = { ...current, spec: { ...this.spec(now, now, ours ? transitions : transitions + 1), acquireTime } };
    // The read resourceVersion stays in `next`: the update is a compare-and-swap on it.
    return this.write(() => registry.update(LEASES, namespace, name, next));
  }

  /** Starts the takeover clock anew when the record changed since we last saw it. */
  private observe(spec: Record<string, unknown>, at: number): void {
    const record = JSON.stringify(spec);
    if (this.observed?.record !== record) this.observed = { record, at };
  }

  private spec(acquire: Date, renew: Date, transitions: number): Record<string, unknown> {
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: microTime(acquire),
      renewTime: microTime(renew),
      leaseTransitions: transitions,
    };
  }

  /** Runs a write; a lost race (Conflict, AlreadyExists) means another candidate wrote the Lease first. */
  private async write(fn: () => Promise<KubeObject>): Promise<TryOutcome> {
    try {
      const written = await fn();
      this.observed = { record: JSON.stringify(written.spec), at: this.now().getTime() };
      this.token = Number(written.metadata?.resourceVersion);
      return { held: true };
    } catch (err) {
      if (err instanceof ApiError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists')) {
        // Read again at once: as leader, to learn whether we were deposed; as candidate, who won.
        this.again = true;
        return { held: false, holder: '' };
      }
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

  /**
   * A watch on the Lease, so a candidate sees each renewal when it happens (its takeover clock is
   * not a period late) and tries the moment the holder releases the Lease (or it goes) instead of
   * at its next period. Best effort: a failed watch is made again at the next try.
   */
  private ensureWatch(): void {
    if (this.watch || this.stopped) return;
    const { registry, namespace, name } = this.opts;
    const pending = registry.watch(LEASES, namespace, { fieldSelector: `metadata.name=${name}`, sendInitialEvents: false }, {
      onEvent: (ev) => {
        if (ev.type === 'ERROR') {
          this.watch = undefined;
          return;
        }
        const spec = isRecord(ev.object.spec) ? ev.object.spec : {};
        // A renewal seen as it happens, not at our next read: the takeover clock starts on time.
        if (ev.type !== 'DELETED' && ev.type !== 'BOOKMARK') this.observe(spec, this.now().getTime());
        const holder = ev.type === 'DELETED' ? '' : spec.holderIdentity;
        // A candidate: the Lease is free. A leader: someone else wrote it (we are deposed; re-read).
        if (this.leading ? holder !== this.opts.identity : !holder) this.nudge();
      },
    });
    this.watch = { close: () => void pending.then((w) => w.close(), () => undefined) };
    pending.catch((err: unknown) => {
      this.log.debug({ err }, 'leader lease watch failed');
      this.watch = undefined;
    });
  }
}
