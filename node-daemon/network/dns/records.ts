/**
 * The cluster zone's records, indexed for O(1) lookups and kept current from Services and
 * EndpointSlices. A change rebuilds only the Services it touches (a Service, or the Service an
 * EndpointSlice is labelled with, before and after the change): each Service's records come from
 * `buildServiceRecords`, and its names are swapped into the index in place of its previous ones.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { normalizeName, parseAddress } from './names.ts';
import { buildServiceRecords, SERVICE_NAME_LABEL, type NameRecords, type PtrRecord, type ServiceRecordSet } from './service-records.ts';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** CoreDNS' kubernetes plugin answers with a 5 s TTL by default. */
export const DEFAULT_TTL_SECONDS = 5;

export interface ClusterDnsRecordsOptions {
  /** The cluster domain; default `cluster.local`. */
  zone?: string;
  /** TTL of every answer from the zone, seconds; default 5. */
  ttl?: number;
  /**
   * Addresses of this DNS server, answered for `ns.dns.<zone>` (the zone's NS and the SOA's
   * primary name, as CoreDNS names them). Without them the apex's NS has no address records.
   */
  nameserverAddresses?: readonly string[];
  /** Clock for the SOA serial (Unix seconds of the last change, as CoreDNS); default `Date.now`. */
  now?: () => number;
}

/** What an `update` changed. */
export interface RecordsUpdateStats {
  /** Services whose records were rebuilt (added, changed, or touched by a changed slice). */
  rebuilt: number;
  /** Services removed. */
  removed: number;
}

const objectKey = (namespace: string, name: string): string => `${namespace}/${name}`;

function metaKey(object: Service | EndpointSlice): string | undefined {
  const name = object.metadata?.name;
  if (name === undefined || name === '') return undefined;
  return objectKey(object.metadata?.namespace ?? 'default', name);
}

/** The Service an EndpointSlice belongs to, as `ns/name`. */
function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (service === undefined || service === '') return undefined;
  return objectKey(slice.metadata?.namespace ?? 'default', service);
}

/**
 * Whether `next` may differ from `previous`: the same object, or the same uid and
 * resourceVersion, is unchanged (every stored change bumps the resourceVersion).
 */
function mayDiffer(previous: Service | EndpointSlice | undefined, next: Service | EndpointSlice): boolean {
  if (previous === undefined) return true;
  if (previous === next) return false;
  const before = previous.metadata;
  const after = next.metadata;
  if (before?.resourceVersion === undefined || after?.resourceVersion === undefined) return true;
  return before.resourceVersion !== after.resourceVersion || before.uid !== after.uid;
}

export class ClusterDnsRecords {
  /** Normalized cluster domain. */
  readonly zone: string;
  readonly ttl: number;
  /** IPv4 and IPv6 addresses of `ns.dns.<zone>`. */
  readonly nameserver: NameRecords;
  /** SOA serial: Unix seconds of the last change. */
  serial: number;

  readonly #now: () => number;
  readonly #services = new Map<string, Service>();
  readonly #slices = new Map<string, EndpointSlice>();
  readonly #slicesByService = new Map<string, Map<string, EndpointSlice>>();
  readonly #built = new Map<string, ServiceRecordSet>();
  readonly #names = new Map<string, NameRecords>();
  /** Reverse name → the records Services contribute to it (usually one). */
  readonly #ptrs = new Map<string, { service: string; ptr: PtrRecord }[]>();
  /** The last `update` that listed each Service / EndpointSlice key. */
  readonly #serviceListed = new Map<string, number>();
  readonly #sliceListed = new Map<string, number>();
  #generation = 0;
  /** Namespace → how many Services it holds (a namespace without any is unknown here). */
  readonly #namespaces = new Map<string, number>();

  constructor(options: ClusterDnsRecordsOptions = {}) {
    this.zone = normalizeName(options.zone ?? DEFAULT_CLUSTER_DOMAIN);
    this.ttl = options.ttl ?? DEFAULT_TTL_SECONDS;
    this.#now = options.now ?? Date.now;
    const a: string[] = [];
    const aaaa: string[] = [];
    for (const text of options.nameserverAddresses ?? []) {
      const parsed = parseAddress(text);
      if (parsed === undefined || parsed.address === '0.0.0.0' || parsed.address === '::') continue;
      (parsed.family === 'IPv4' ? a : aaaa).push(parsed.address);
    }
    this.nameserver = { a, aaaa, srv: [] };
    this.serial = this.#serialNow();
  }

  /** The records at normalized `name`, if it was built from a Service. */
  lookup(name: string): NameRecords | undefined {
    return this.#names.get(name);
  }

  /** The names normalized reverse name `reverse` points to: ClusterIPs' if any, else endpoints'. */
  lookupPtr(reverse: string): string[] | undefined {
    const records = this.#ptrs.get(reverse);
    if (records === undefined) return undefined;
    const clusterIPs: string[] = [];
    const endpoints: string[] = [];
    for (const { ptr } of records) (ptr.clusterIP ? clusterIPs : endpoints).push(ptr.target);
    const targets = clusterIPs.length > 0 ? clusterIPs : endpoints;
    return targets.length > 0 ? [...new Set(targets)] : undefined;
  }

  /** Whether any Service lives in `namespace` (then `<ns>.svc.<zone>` exists, with no records). */
  hasNamespace(namespace: string): boolean {
    return this.#namespaces.has(namespace);
  }

  /** How many Services are held. */
  get serviceCount(): number {
    return this.#services.size;
  }

  /** Add or replace a Service; rebuilds that Service's records. */
  upsertService(service: Service): void {
    const key = metaKey(service);
    if (key === undefined || !mayDiffer(this.#services.get(key), service)) return;
    if (!this.#services.has(key)) this.#countNamespace(service.metadata?.namespace ?? 'default', +1);
    this.#services.set(key, service);
    this.#rebuild(key);
    this.#touched();
  }

  /** Remove a Service and its records (its EndpointSlices are kept until they are deleted). */
  deleteService(namespace: string, name: string): void {
    const key = objectKey(namespace, name);
    if (!this.#services.delete(key)) return;
    this.#serviceListed.delete(key);
    this.#countNamespace(namespace, -1);
    this.#rebuild(key);
    this.#touched();
  }

  /** Add or replace an EndpointSlice; rebuilds the Service(s) it was and is labelled with. */
  upsertEndpointSlice(slice: EndpointSlice): void {
    const key = metaKey(slice);
    if (key === undefined) return;
    const previous = this.#slices.get(key);
    if (!mayDiffer(previous, slice)) return;
    const dirty = this.#placeSlice(key, previous, slice);
    for (const serviceKey of dirty) this.#rebuild(serviceKey);
    this.#touched();
  }

  /** Remove an EndpointSlice; rebuilds the Service it was labelled with. */
  deleteEndpointSlice(namespace: string, name: string): void {
    const key = objectKey(namespace, name);
    const previous = this.#slices.get(key);
    if (previous === undefined) return;
    this.#sliceListed.delete(key);
    const dirty = this.#placeSlice(key, previous, undefined);
    for (const serviceKey of dirty) this.#rebuild(serviceKey);
    this.#touched();
  }

  /**
   * Make the held Services and EndpointSlices exactly `services` and `slices` (a full list, e.g.
   * after a relist). Work is proportional to what changed: unchanged objects (same object, or
   * same uid and resourceVersion) are skipped, and only Services touched by a change are rebuilt.
   */
  update(services: Iterable<Service>, slices: Iterable<EndpointSlice>): RecordsUpdateStats {
    // One pass over each list marks what is listed; only when fewer were listed than are held
    // is a second pass needed to find what is gone. Nothing is copied or re-keyed.
    const generation = ++this.#generation;
    const dirty = new Set<string>();
    let removed = 0;

    let listedSlices = 0;
    for (const slice of slices) {
      const key = metaKey(slice);
      if (key === undefined || this.#sliceListed.get(key) === generation) continue;
      this.#sliceListed.set(key, generation);
      listedSlices++;
      const previous = this.#slices.get(key);
      if (mayDiffer(previous, slice)) for (const serviceKey of this.#placeSlice(key, previous, slice)) dirty.add(serviceKey);
    }
    if (listedSlices < this.#slices.size) {
      for (const [key, previous] of this.#slices) {
        if (this.#sliceListed.get(key) === generation) continue;
        this.#sliceListed.delete(key);
        for (const serviceKey of this.#placeSlice(key, previous, undefined)) dirty.add(serviceKey);
      }
    }

    let listedServices = 0;
    for (const service of services) {
      const key = metaKey(service);
      if (key === undefined || this.#serviceListed.get(key) === generation) continue;
      this.#serviceListed.set(key, generation);
      listedServices++;
      const previous = this.#services.get(key);
      if (!mayDiffer(previous, service)) continue;
      if (previous === undefined) this.#countNamespace(service.metadata?.namespace ?? 'default', +1);
      this.#services.set(key, service);
      dirty.add(key);
    }
    if (listedServices < this.#services.size) {
      for (const [key, previous] of this.#services) {
        if (this.#serviceListed.get(key) === generation) continue;
        this.#serviceListed.delete(key);
        this.#services.delete(key);
        this.#countNamespace(previous.metadata?.namespace ?? 'default', -1);
        dirty.add(key);
        removed++;
      }
    }

    let rebuilt = 0;
    for (const key of dirty) {
      this.#rebuild(key);
      if (this.#services.has(key)) rebuilt++;
    }
    if (dirty.size > 0) this.#touched();
    return { rebuilt, removed };
  }

  /** Move slice `key` from `previous` to `next` (undefined = absent); returns the Services to rebuild. */
  #placeSlice(key: string, previous: EndpointSlice | undefined, next: EndpointSlice | undefined): string[] {
    const dirty: string[] = [];
    const before = previous === undefined ? undefined : sliceServiceKey(previous);
    const after = next === undefined ? undefined : sliceServiceKey(next);
    if (before !== undefined) {
      const group = this.#slicesByService.get(before);
      group?.delete(key);
      if (group?.size === 0) this.#slicesByService.delete(before);
      dirty.push(before);
    }
    if (next === undefined) this.#slices.delete(key);
    else this.#slices.set(key, next);
    if (after !== undefined && next !== undefined) {
      let group = this.#slicesByService.get(after);
      if (group === undefined) {
        group = new Map();
        this.#slicesByService.set(after, group);
      }
      group.set(key, next);
      if (after !== before) dirty.push(after);
    }
    return dirty;
  }

  /** Swap Service `key`'s records in the index for freshly built ones (none if it is gone). */
  #rebuild(key: string): void {
    const previous = this.#built.get(key);
    if (previous !== undefined) {
      for (const name of previous.names.keys()) this.#names.delete(name);
      for (const { reverse } of previous.ptrs) {
        const records = this.#ptrs.get(reverse)?.filter((record) => record.service !== key);
        if (records === undefined || records.length === 0) this.#ptrs.delete(reverse);
        else this.#ptrs.set(reverse, records);
      }
      this.#built.delete(key);
    }
    const service = this.#services.get(key);
    if (service === undefined) return;
    const built = buildServiceRecords(service, this.#slicesByService.get(key)?.values() ?? [], this.zone);
    this.#built.set(key, built);
    for (const [name, records] of built.names) this.#names.set(name, records);
    for (const ptr of built.ptrs) {
      const record = { service: key, ptr };
      const records = this.#ptrs.get(ptr.reverse);
      if (records === undefined) this.#ptrs.set(ptr.reverse, [record]);
      else records.push(record);
    }
  }

  #countNamespace(namespace: string, delta: number): void {
    const count = (this.#namespaces.get(namespace) ?? 0) + delta;
    if (count > 0) this.#namespaces.set(namespace, count);
    else this.#namespaces.delete(namespace);
  }

  #serialNow(): number {
    // The SOA serial is 32 bits; Unix seconds fit until 2106.
    return Math.floor(this.#now() / 1000) >>> 0;
  }

  #touched(): void {
    this.serial = this.#serialNow();
  }
}
