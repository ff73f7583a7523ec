/**
 * Where each master serves the API, published in the store under a lease, as Kubernetes'
 * apiservers publish themselves under `/registry/masterleases/` (the "lease" endpoint
 * reconciler): every master writes `/registry/masterleases/<name>` = `{ip, port}` attached to a
 * store lease it renews; a master that stops (or dies) drops out when its lease expires. The
 * leader's `kubernetes` Service keeper (kubernetes-service.ts) turns the set into the
 * `default/kubernetes` Endpoints and EndpointSlice.
 */
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import pino from 'pino';
import { LeaseNotFoundError } from '../store/errors.ts';
import type { KeyValue, Store } from '../store/types.ts';

export const MASTER_LEASES_PREFIX = '/registry/masterleases/';

/** One master's API address. */
export interface ApiEndpoint {
  ip: string;
  port: number;
}

export interface ApiEndpointLeaseOptions {
  store: Store;
  /** The master's name (its key under the prefix). */
  name: string;
  endpoint: ApiEndpoint;
  /** Lease time-to-live (Kubernetes' --master-endpoint-reconcile-ttl: 15 s). */
  ttlSeconds?: number;
  /** How often the lease is renewed (default: a third of the TTL). */
  renewMs?: number;
  logger?: Logger;
}

/** A master's published address; `close()` withdraws it at once (the lease is revoked). */
export class ApiEndpointLease {
  private lease = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly log: Logger;

  private constructor(private opts: ApiEndpointLeaseOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  static async start(opts: ApiEndpointLeaseOptions): Promise<ApiEndpointLease> {
    const published = new ApiEndpointLease(opts);
    await published.publish();
    const every = opts.renewMs ?? ((opts.ttlSeconds ?? 15) * 1000) / 3;
    published.timer = setInterval(() => void published.renew(), every);
    published.timer.unref();
    return published;
  }

  /** This master's address now (another listener took over as the one to advertise): rewritten under the same lease. */
  async update(endpoint: ApiEndpoint): Promise<void> {
    if (this.closed) return;
    this.opts = { ...this.opts, endpoint };
    try {
      await this.writeEndpoint();
    } catch (err) {
      if (!(err instanceof LeaseNotFoundError)) throw err;
      await this.publish();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    try {
      await this.opts.store.revokeLease(this.lease);
    } catch (err) {
      if (!(err instanceof LeaseNotFoundError)) this.log.warn({ err }, 'could not withdraw this master\'s API address');
    }
  }

  /** A new lease and the key under it (first time, or after the lease was lost). */
  private async publish(): Promise<void> {
    this.lease = await this.opts.store.grantLease(this.opts.ttlSeconds ?? 15);
    await this.writeEndpoint();
  }

  private async writeEndpoint(): Promise<void> {
    const { store, name, endpoint } = this.opts;
    await store.txn([], [{ type: 'put', key: `${MASTER_LEASES_PREFIX}${name}`, value: JSON.stringify(endpoint), lease: this.lease }]);
  }

  private async renew(): Promise<void> {
    if (this.closed) return;
    try {
      await this.opts.store.keepAlive(this.lease);
    } catch (err) {
      if (this.closed) return;
      if (!(err instanceof LeaseNotFoundError)) {
        this.log.warn({ err }, 'renewing this master\'s API address failed; retrying');
        return;
      }
      // Expired (a long pause, a store outage): publish again.
      try {
        await this.publish();
      } catch (again) {
        this.log.warn({ err: again }, 'republishing this master\'s API address failed; retrying');
      }
    }
  }
}

/** The ApiEndpoint stored in `kv`, or undefined when it is not one. */
export function decodeApiEndpoint(kv: KeyValue): ApiEndpoint | undefined {
  try {
    const v = JSON.parse(kv.value) as Partial<ApiEndpoint>;
    return typeof v.ip === 'string' && typeof v.port === 'number' ? { ip: v.ip, port: v.port } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The address other components reach this master's API on: the listen address, or for a
 * wildcard listen (`0.0.0.0`, `::`) the machine's first non-internal IPv4 (loopback if none).
 */
export function advertisedEndpoint(host: string, port: number): ApiEndpoint {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return { ip: host === 'localhost' ? '127.0.0.1' : host, port };
  for (const addrs of Object.values(networkInterfaces())) {
    const v4 = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return { ip: v4.address, port };
  }
  return { ip: '127.0.0.1', port };
}
