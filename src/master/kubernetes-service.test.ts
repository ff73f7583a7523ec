/**
 * The default/kubernetes keeper on a real embedded store: masters publish their API addresses
 * under leases; the keeper makes the Service (first address of the range, 443 https), its
 * Endpoints and slices from them, follows masters leaving, and puts a deleted Service back. The
 * Service controller runs beside it and must leave those objects alone.
 */
import type { Endpoints, Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { afterEach, expect, it } from 'vitest';
import { findResource, type ResourceInfo } from '../api/kinds.ts';
import { ServiceController } from '../actors/service/controller.ts';
import { RecordingEvents } from '../actors/replicaset/test-support.ts';
import { ApiEndpointLease, MASTER_LEASES_PREFIX } from './api-endpoints.ts';
import { KubernetesServiceController } from './kubernetes-service.ts';
import { testCluster, waitFor, type TestCluster } from '../registry/test-support.ts';

const SERVICES = findResource('', 'v1', 'services') as ResourceInfo;
const ENDPOINTS = findResource('', 'v1', 'endpoints') as ResourceInfo;
const SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices') as ResourceInfo;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function get<T>(c: TestCluster, info: ResourceInfo, name: string): Promise<T | undefined> {
  try {
    return (await c.registry.get(info, 'default', name)) as T;
  } catch {
    return undefined;
  }
}

async function slices(c: TestCluster): Promise<EndpointSlice[]> {
  return (await c.registry.list(SLICES, 'default', { labelSelector: 'kubernetes.io/service-name=kubernetes' })).items as unknown as EndpointSlice[];
}

it('keeps default/kubernetes: the first service IP, and every published master in its Endpoints and slices', async () => {
  const c = await testCluster();
  cleanup.push(() => c.close());
  const m1 = await ApiEndpointLease.start({ store: c.store, name: 'm1', endpoint: { ip: '127.0.0.1', port: 6443 } });
  const m2 = await ApiEndpointLease.start({ store: c.store, name: 'm2', endpoint: { ip: '127.0.0.2', port: 6443 } });
  const m3 = await ApiEndpointLease.start({ store: c.store, name: 'm3', endpoint: { ip: '127.0.0.1', port: 7443 } });
  cleanup.push(() => m1.close(), () => m2.close(), () => m3.close());
  const services = new ServiceController({ store: c.store, registry: c.registry, events: new RecordingEvents() });
  const keeper = new KubernetesServiceController({ store: c.store, registry: c.registry, clusterIP: '10.96.0.1' });
  await services.start();
  await keeper.start();
  cleanup.push(async () => {
    keeper.stop();
    services.stop();
  });

  const svc = await waitFor('the kubernetes Service', () => get<Service>(c, SERVICES, 'kubernetes'));
  expect(svc.spec).toMatchObject({ type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] });
  expect(svc.spec?.selector).toBeUndefined();

  const ep = await waitFor('its Endpoints', () => get<Endpoints>(c, ENDPOINTS, 'kubernetes'));
  expect(ep.metadata?.labels).toEqual({ 'endpointslice.kubernetes.io/skip-mirror': 'true' });
  expect(ep.subsets).toEqual([
    { addresses: [{ ip: '127.0.0.1' }, { ip: '127.0.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
    { addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 7443, protocol: 'TCP' }] },
  ]);
  const two = await waitFor('two slices', async () => ((await slices(c)).length === 2 ? slices(c) : undefined));
  expect(two.map((s) => [s.metadata?.name, s.endpoints.map((e) => e.addresses[0]), s.ports?.[0]?.port])).toEqual([
    ['kubernetes', ['127.0.0.1', '127.0.0.2'], 6443],
    ['kubernetes-7443', ['127.0.0.1'], 7443],
  ]);
  expect(two[0].metadata?.labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });

  // A master leaving: its lease is revoked, its address goes.
  await m3.close();
  await waitFor('one slice', async () => (await slices(c)).length === 1);
  await waitFor('one subset', async () => (await get<Endpoints>(c, ENDPOINTS, 'kubernetes'))?.subsets?.length === 1);
  expect(await c.store.count(MASTER_LEASES_PREFIX)).toBe(2);

  // Deleted by someone: put back at once, on the same address.
  await c.registry.delete(SERVICES, 'default', 'kubernetes');
  const again = await waitFor('the Service back', async () => {
    const s = await get<Service>(c, SERVICES, 'kubernetes');
    return s && s.metadata?.uid !== svc.metadata?.uid ? s : undefined;
  });
  expect(again.spec?.clusterIP).toBe('10.96.0.1');
  // The Service controller treats it as selectorless and neither mirrors nor removes the keeper's slice.
  await waitFor('selectorless', () => services.stateOf('default', 'kubernetes') === 'selectorless');
  await waitFor('idle', () => services.idle() && keeper.idle());
  expect((await slices(c)).map((s) => s.metadata?.name)).toEqual(['kubernetes']);
});

it('a master that moves its API address (kactus up on its pod bridge) moves the Endpoints with it', async () => {
  const c = await testCluster();
  cleanup.push(() => c.close());
  const m = await ApiEndpointLease.start({ store: c.store, name: 'up', endpoint: { ip: '127.0.0.1', port: 6443 } });
  cleanup.push(() => m.close());
  const keeper = new KubernetesServiceController({ store: c.store, registry: c.registry, clusterIP: '10.96.0.1' });
  await keeper.start();
  cleanup.push(async () => keeper.stop());
  await waitFor('Endpoints on loopback', async () => (await get<Endpoints>(c, ENDPOINTS, 'kubernetes'))?.subsets?.[0]?.addresses?.[0]?.ip === '127.0.0.1');

  await m.update({ ip: '10.244.0.1', port: 6443 });
  const ep = await waitFor('Endpoints on the gateway', async () => {
    const e = await get<Endpoints>(c, ENDPOINTS, 'kubernetes');
    return e?.subsets?.[0]?.addresses?.[0]?.ip === '10.244.0.1' ? e : undefined;
  });
  expect(ep.subsets).toEqual([{ addresses: [{ ip: '10.244.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
  const [slice] = await waitFor('the slice moved', async () => ((await slices(c))[0]?.endpoints[0]?.addresses[0] === '10.244.0.1' ? slices(c) : undefined));
  expect(slice?.endpoints.map((e) => e.addresses[0])).toEqual(['10.244.0.1']);
  // One key, still under a live lease: closing withdraws it.
  expect(await c.store.count(MASTER_LEASES_PREFIX)).toBe(1);
  await m.close();
  expect(await c.store.count(MASTER_LEASES_PREFIX)).toBe(0);
});

it('a master whose lease expires drops out; its key is gone', async () => {
  const c = await testCluster();
  cleanup.push(() => c.close());
  // Renewal far slower than the 1 s TTL: the lease expires.
  const lease = await ApiEndpointLease.start({ store: c.store, name: 'gone', endpoint: { ip: '127.0.0.9', port: 6443 }, ttlSeconds: 1, renewMs: 60_000 });
  cleanup.push(() => lease.close());
  expect(await c.store.count(MASTER_LEASES_PREFIX)).toBe(1);
  await waitFor('the lease to expire', async () => (await c.store.count(MASTER_LEASES_PREFIX)) === 0, 5_000);
});
