/**
 * The allocation repair loop (Kubernetes' ipallocator and portallocator repair controllers),
 * run by the elected leader. Services and allocation records are read at one store revision,
 * then:
 * - a Service value without a record is re-recorded (create-if-absent) — Event
 *   `ClusterIPNotAllocated` / `PortNotAllocated`, "…; repairing";
 * - a value two Services claim, or whose record names another Service — Warning
 *   `ClusterIPAlreadyAllocated` / `PortAlreadyAllocated`; out of the configured range —
 *   `ClusterIPOutOfRange` / `PortOutOfRange` (nothing to repair; the user must recreate);
 * - a record no Service holds any more is released once it has been seen leaked, unchanged, for
 *   `leakGraceMs` (Kubernetes waits for several repair runs). Service writes commit their records
 *   in the same transaction, so leaks come only from writes that bypassed the registry.
 */
import pino, { type Logger } from 'pino';
import { findResource } from '../../api/kinds.ts';
import { prefixFor } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { clusterIPsOf, CLUSTER_IP_NONE, healthCheckNodePortOf, nodePortsOf } from '../../api/service.ts';
import { KeyExistsError } from '../../store/errors.ts';
import type { Store } from '../../store/types.ts';
import { decodeObject } from '../codec.ts';
import { ipInRange, portInRange, type ServiceRanges } from './ranges.ts';
import { ALLOCATIONS_PREFIX, clusterIPKey, decodeOwner, encodeOwner, nodePortKey, ownerName, ownerOf, sameOwner, type AllocationOwner } from './records.ts';

const SERVICES = findResource('', 'v1', 'services')!;

/** Where repair Events go: structurally the master's EventSink (src/registry/event-recorder.ts). */
export interface RepairEventSink {
  record(
    ref: { kind: string; apiVersion?: string; namespace?: string; name: string; uid?: string },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    opts?: { source?: { component: string } },
  ): Promise<void>;
}

export interface AllocationRepairOptions {
  store: Store;
  ranges: ServiceRanges;
  events: RepairEventSink;
  /** Between runs (Kubernetes: 3 min; default here 30 s). */
  intervalMs?: number;
  /** How long a leaked record stays before it is released (default 10 s). */
  leakGraceMs?: number;
  now?: () => number;
  logger?: Logger;
}

/** What one run did (tests, logs). */
export interface RepairReport {
  /** Records re-created for Services that held a value without one. */
  repaired: string[];
  /** Leaked records released. */
  released: string[];
  /** Values claimed twice or recorded for another Service. */
  conflicts: string[];
  outOfRange: string[];
}

const SOURCE = { component: 'ipallocator-repair-controller' };

export class AllocationRepair {
  private readonly leaks = new Map<string, { modRevision: number; since: number }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly opts: AllocationRepairOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.now = opts.now ?? Date.now;
  }

  start(): Promise<void> {
    this.stopped = false;
    this.schedule(0);
    return Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.runOnce().then(
        (r) => {
          if (r.repaired.length + r.released.length + r.conflicts.length + r.outOfRange.length) this.log.info(r, 'service allocation repair');
        },
        (err: unknown) => this.log.warn({ err }, 'service allocation repair failed; retrying next run'),
      ).finally(() => this.schedule(this.opts.intervalMs ?? 30_000));
    }, delayMs);
    this.timer.unref?.();
  }

  async runOnce(): Promise<RepairReport> {
    const report: RepairReport = { repaired: [], released: [], conflicts: [], outOfRange: [] };
    const store = this.opts.store;
    const recorded = await store.list(ALLOCATIONS_PREFIX);
    const services = await store.list(prefixFor(SERVICES), { revision: recorded.revision });
    const records = new Map(recorded.items.map((kv) => [kv.key, kv]));
    /** Which Service holds each value, from the Services themselves. */
    const expected = new Map<string, AllocationOwner>();

    for (const kv of services.items) {
      const svc = { ...decodeObject(kv), apiVersion: 'v1', kind: 'Service' };
      const owner = ownerOf(svc);
      for (const held of heldValues(svc)) {
        const key = 'ip' in held ? clusterIPKey(held.ip) : nodePortKey(held.port);
        const what = 'ip' in held ? `Cluster IP [IPv4]: ${held.ip}` : `Port ${held.port}`;
        const inRange = 'ip' in held ? ipInRange(this.opts.ranges.clusterIPs, held.ip) : portInRange(this.opts.ranges.nodePorts, held.port);
        if (!inRange) {
          report.outOfRange.push(key);
          const range = 'ip' in held ? `Service CIDR ${this.opts.ranges.clusterIPs.cidr}` : `port range ${this.opts.ranges.nodePorts.text}`;
          await this.warn(svc, 'ip' in held ? 'ClusterIPOutOfRange' : 'PortOutOfRange', `${what} is not within the configured ${range}; please recreate service`);
          continue;
        }
        const previous = expected.get(key);
        const record = records.get(key);
        const recordOwner = record ? decodeOwner(record) : undefined;
        if ((previous && !sameOwner(previous, owner)) || (record && !sameOwner(recordOwner, owner))) {
          report.conflicts.push(key);
          await this.warn(svc, 'ip' in held ? 'ClusterIPAlreadyAllocated' : 'PortAlreadyAllocated', `${what} was assigned to multiple services; please recreate service`);
          if (!previous) expected.set(key, owner);
          continue;
        }
        expected.set(key, owner);
        if (record) continue;
        await this.warn(svc, 'ip' in held ? 'ClusterIPNotAllocated' : 'PortNotAllocated', `${what} is not allocated; repairing`);
        try {
          await store.create(key, encodeOwner(owner));
          report.repaired.push(key);
        } catch (err) {
          if (!(err instanceof KeyExistsError)) throw err;
          report.conflicts.push(key);
        }
      }
    }

    const now = this.now();
    for (const [key, kv] of records) {
      const owner = decodeOwner(kv);
      const held = owner !== undefined && sameOwner(expected.get(key), owner);
      if (held) {
        this.leaks.delete(key);
        continue;
      }
      const leak = this.leaks.get(key);
      if (!leak || leak.modRevision !== kv.modRevision) {
        this.leaks.set(key, { modRevision: kv.modRevision, since: now });
        continue;
      }
      if (now - leak.since < (this.opts.leakGraceMs ?? 10_000)) continue;
      // Pinned to the revision seen leaked: a record re-used meanwhile is not touched.
      const res = await store.txn([{ key, modRevision: kv.modRevision }], [{ type: 'delete', key }]);
      this.leaks.delete(key);
      if (res.succeeded) {
        report.released.push(key);
        this.log.info({ key, owner: owner ? ownerName(owner) : undefined }, 'released leaked service allocation');
      }
    }
    for (const key of [...this.leaks.keys()]) if (!records.has(key)) this.leaks.delete(key);
    return report;
  }

  private warn(svc: KubeObject, reason: string, message: string): Promise<void> {
    const m = svc.metadata ?? {};
    return this.opts.events.record({ kind: 'Service', apiVersion: 'v1', namespace: m.namespace, name: m.name ?? '', uid: m.uid }, 'Warning', reason, message, { source: SOURCE });
  }
}

/** The values a stored Service holds records for. */
function heldValues(svc: KubeObject): ({ ip: string } | { port: number })[] {
  const out: ({ ip: string } | { port: number })[] = clusterIPsOf(svc)
    .filter((ip) => ip !== '' && ip !== CLUSTER_IP_NONE)
    .map((ip) => ({ ip }));
  for (const port of nodePortsOf(svc)) out.push({ port });
  const hc = healthCheckNodePortOf(svc);
  if (hc && !nodePortsOf(svc).includes(hc)) out.push({ port: hc });
  return out;
}
