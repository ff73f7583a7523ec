/**
 * Fixtures for the allocation tests: Registries over a real embedded store in a temp dir (or
 * any store), Service builders, and a look at the allocation records actually stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findResource } from '../../api/kinds.ts';
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { openEmbeddedStore } from '../../store/embedded/index.ts';
import type { Store } from '../../store/types.ts';
import { Registry } from '../registry.ts';
import { serviceRanges, type ServiceRangeOptions } from './ranges.ts';
import { ALLOCATIONS_PREFIX, decodeOwner, parseRecordKey, type AllocationOwner } from './records.ts';

export const SERVICES = findResource('', 'v1', 'services')!;
export const NS = 'default';

export interface AllocationFixture {
  store: Store;
  registry: Registry;
  /** Another Registry over the same store, with the same ranges (a second master). */
  secondRegistry(): Promise<Registry>;
  close(): Promise<void>;
}

export async function registryOn(store: Store, ranges: ServiceRangeOptions = {}): Promise<Registry> {
  const registry = new Registry({ store, serviceRanges: serviceRanges(ranges) });
  await registry.start([NS]);
  return registry;
}

/** A Registry over a fresh embedded store (fsync off: these tests measure logic, not disks). */
export async function embeddedFixture(ranges: ServiceRangeOptions = {}): Promise<AllocationFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'kactus-alloc-'));
  const store = await openEmbeddedStore(join(dir, 'store'), { fsync: false });
  return storeFixture(store, ranges, async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
}

export async function storeFixture(store: Store, ranges: ServiceRangeOptions, closeStore: () => Promise<void>): Promise<AllocationFixture> {
  const registries = [await registryOn(store, ranges)];
  return {
    store,
    registry: registries[0]!,
    async secondRegistry() {
      const r = await registryOn(store, ranges);
      registries.push(r);
      return r;
    },
    async close() {
      for (const r of registries) r.close();
      await closeStore();
    },
  };
}

export function service(name: string, spec: JsonObject = {}, namespace = NS): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } };
}

export const specOf = (svc: KubeObject): JsonObject => svc.spec as JsonObject;
export const nodePorts = (svc: KubeObject): number[] => ((specOf(svc).ports as JsonObject[]) ?? []).map((p) => p.nodePort as number);

/** Every allocation record in the store: `ip` or `port` → owner. */
export async function records(store: Store): Promise<{ ips: Map<string, AllocationOwner | undefined>; ports: Map<number, AllocationOwner | undefined> }> {
  const ips = new Map<string, AllocationOwner | undefined>();
  const ports = new Map<number, AllocationOwner | undefined>();
  for (const kv of (await store.list(ALLOCATIONS_PREFIX)).items) {
    const what = parseRecordKey(kv.key);
    if (what && 'ip' in what) ips.set(what.ip, decodeOwner(kv));
    if (what && 'port' in what) ports.set(what.port, decodeOwner(kv));
  }
  return { ips, ports };
}

/** The ApiError's Status (code and message) a promise rejects with. */
export async function statusOf(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const status = (err as { status?: { code: number; message: string } }).status;
    if (status) return { code: status.code, message: status.message };
    throw err;
  }
  throw new Error('expected the call to fail');
}
