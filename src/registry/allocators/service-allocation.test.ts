/**
 * ClusterIP and NodePort allocation through the Registry on a real embedded store: what a
 * create stores, what is refused (with Kubernetes' messages) and that a refused, failed or
 * dry-run write leaves nothing allocated; release on delete and on updates; concurrency.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findResource } from '../../api/kinds.ts';
import { ipInRange, ipv4ToNumber, parseServiceCIDR } from './ranges.ts';
import { embeddedFixture, nodePorts, NS, records, service, SERVICES, specOf, statusOf, type AllocationFixture } from './test-support.ts';

const CIDR = '10.96.0.0/16';
let f: AllocationFixture;
beforeEach(async () => {
  f = await embeddedFixture({ clusterIPRange: CIDR, nodePortRange: '30000-30999' });
});
afterEach(async () => {
  await f.close();
});

const create = (name: string, spec = {}, opts = {}) => f.registry.create(SERVICES, NS, service(name, spec), opts);

async function nothingAllocated(): Promise<void> {
  const r = await records(f.store);
  expect([...r.ips.keys(), ...r.ports.keys()]).toEqual([]);
}

describe('ClusterIP allocation', () => {
  it('gives a new Service a ClusterIP from the upper band of the range, single-stack IPv4, and records it under its uid', async () => {
    const svc = await create('web');
    const spec = specOf(svc);
    expect(ipInRange(parseServiceCIDR(CIDR), spec.clusterIP as string)).toBe(true);
    // The first 256 addresses stay for static picks.
    expect(ipv4ToNumber(spec.clusterIP as string) - ipv4ToNumber('10.96.0.0')).toBeGreaterThan(256);
    expect(spec).toMatchObject({ clusterIPs: [spec.clusterIP], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    expect((await records(f.store)).ips.get(spec.clusterIP as string)).toEqual({ namespace: NS, name: 'web', uid: svc.metadata?.uid });
  });

  it('reserves a requested ClusterIP and refuses it to a second Service, allocating nothing for it', async () => {
    await create('dns', { clusterIP: '10.96.0.10' });
    const refused = await statusOf(create('dns2', { clusterIP: '10.96.0.10' }));
    expect(refused).toEqual({
      code: 422,
      message: 'Service "dns2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    });
    expect([...(await records(f.store)).ips.keys()]).toEqual(['10.96.0.10']);
  });

  it.each([
    ['10.97.0.5', 'provided IP 10.97.0.5 is not in the valid range'],
    ['10.96.0.0', 'provided IP 10.96.0.0 is not in the valid range'],
    ['10.96.255.255', 'provided IP 10.96.255.255 is not in the valid range'],
  ])('refuses %s outside the usable range', async (ip, reason) => {
    expect(await statusOf(create('web', { clusterIP: ip }))).toEqual({
      code: 422,
      message: `Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: ${reason}`,
    });
    await nothingAllocated();
  });

  it('allocates nothing for headless and ExternalName Services', async () => {
    const headless = await create('db', { clusterIP: 'None' });
    expect(specOf(headless)).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    const external = await create('ext', { type: 'ExternalName', externalName: 'example.com', selector: undefined, ports: undefined });
    expect(specOf(external).clusterIP).toBeUndefined();
    expect(specOf(external).ipFamilies).toBeUndefined();
    await nothingAllocated();
  });

  it('gives a headless Service without selector both families (Kubernetes RequireDualStack quirk)', async () => {
    const svc = await create('peers', { clusterIP: 'None', selector: undefined });
    expect(specOf(svc)).toMatchObject({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
  });

  it('refuses IPv6 and dual-stack on this IPv4 cluster', async () => {
    expect((await statusOf(create('a', { ipFamilies: ['IPv6'] }))).message).toBe('Service "a" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster');
    expect((await statusOf(create('b', { ipFamilyPolicy: 'RequireDualStack' }))).message).toBe(
      'Service "b" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    );
    await nothingAllocated();
  });

  it('leaves nothing allocated when validation, the namespace or the name refuses the create, or under dry run', async () => {
    expect((await statusOf(create('bad', { clusterIP: '10.96.0.20', ports: [{ port: 80, protocol: 'HTTP' }] }))).code).toBe(422);
    expect((await statusOf(f.registry.create(SERVICES, 'nowhere', service('web', { clusterIP: '10.96.0.21' }, 'nowhere')))).code).toBe(404);
    const dry = await create('dry', { clusterIP: '10.96.0.22', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }, { dryRun: true });
    expect(specOf(dry).clusterIP).toBe('10.96.0.22');
    expect(await f.registry.list(SERVICES, NS).then((l) => l.items)).toEqual([]);
    await nothingAllocated();
    // A dry run still refuses what another Service holds.
    await create('holder', { clusterIP: '10.96.0.24' });
    expect((await statusOf(create('dry2', { clusterIP: '10.96.0.24' }, { dryRun: true }))).code).toBe(422);
    await f.registry.delete(SERVICES, NS, 'holder');
    await nothingAllocated();
    await create('web', { clusterIP: '10.96.0.23' });
    expect(await statusOf(create('web', { type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }] }))).toEqual({ code: 409, message: 'services "web" already exists' });
    const r = await records(f.store);
    expect([...r.ips.keys()]).toEqual(['10.96.0.23']);
    expect([...r.ports.keys()]).toEqual([]);
  });

  it('answers range full with Kubernetes\' internal error once every address is taken', async () => {
    const small = await embeddedFixture({ clusterIPRange: '10.0.0.0/29' });
    try {
      for (let i = 0; i < 6; i++) await small.registry.create(SERVICES, NS, service(`s${i}`));
      expect(await statusOf(small.registry.create(SERVICES, NS, service('s6')))).toEqual({
        code: 500,
        message: 'Internal error occurred: failed to allocate a serviceIP: range is full',
      });
      expect((await records(small.store)).ips.size).toBe(6);
    } finally {
      await small.close();
    }
  });
});

describe('bad input: 422 naming the field, nothing allocated', () => {
  const base = { type: 'NodePort', clusterIP: '10.96.0.60' };
  it.each([
    ['an invalid protocol', { ports: [{ port: 80, nodePort: 30080, protocol: 'ICMP' }] }, 'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    ['duplicate port names', { ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'a', port: 81 }] }, 'spec.ports[1].name: Duplicate value: "a"'],
    ['a missing port name', { ports: [{ name: 'a', port: 80, nodePort: 30080 }, { port: 81 }] }, 'spec.ports[1].name: Required value'],
    ['an invalid targetPort', { ports: [{ port: 80, nodePort: 30080, targetPort: 70000 }] }, 'spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ['an invalid named targetPort', { ports: [{ port: 80, nodePort: 30080, targetPort: 'web--port' }] }, 'spec.ports[0].targetPort: Invalid value: "web--port": must not contain consecutive hyphens'],
    ['a port out of range', { ports: [{ port: 0, nodePort: 30080, targetPort: 80 }] }, 'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ['a nodePort on ClusterIP', { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30080 }] }, "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ['a node port out of range', { ports: [{ port: 80, nodePort: 40000 }] }, 'spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-30999'],
    ['a malformed clusterIP', { clusterIP: '10.96.0', ports: [{ port: 80, nodePort: 30080 }] }, 'spec.clusterIPs[0]: Invalid value: "10.96.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
  ])('%s', async (_what, spec, message) => {
    const refused = await statusOf(create('bad', { ...base, ...spec }));
    expect(refused.code).toBe(422);
    expect(refused.message).toContain(message);
    await nothingAllocated();
  });
});

describe('NodePort allocation', () => {
  it('gives every port a node port, one per port number (53/TCP and 53/UDP share), none on ClusterIP Services', async () => {
    const svc = await create('dns', {
      type: 'NodePort',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153 },
      ],
    });
    const [udp, tcp, metrics] = nodePorts(svc);
    expect(udp).toBe(tcp);
    expect(metrics).not.toBe(udp);
    for (const p of [udp, metrics]) expect(p).toBeGreaterThanOrEqual(30000);
    expect(specOf(svc).externalTrafficPolicy).toBe('Cluster');
    expect([...(await records(f.store)).ports.keys()].sort()).toEqual([udp, metrics].sort());
  });

  it('reserves requested node ports and refuses taken or out-of-range ones with the field named', async () => {
    await create('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    expect(await statusOf(create('b', { type: 'NodePort', ports: [{ name: 'x', port: 81, nodePort: 30081 }, { name: 'y', port: 80, nodePort: 30080 }] }))).toEqual({
      code: 422,
      message: 'Service "b" is invalid: spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated',
    });
    expect(await statusOf(create('c', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }))).toEqual({
      code: 422,
      message: 'Service "c" is invalid: spec.ports[0].nodePort: Invalid value: 31000: provided port is not in the valid range. The range of valid ports is 30000-30999',
    });
    expect((await statusOf(create('d', { ports: [{ port: 80, nodePort: 30090 }] }))).message).toBe(
      "Service \"d\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    );
    const r = await records(f.store);
    expect([...r.ports.keys()]).toEqual([30080]);
    expect(r.ips.size).toBe(1);
  });

  it('treats LoadBalancer as NodePort (no provider), with a health-check node port for externalTrafficPolicy Local', async () => {
    const lb = await create('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    expect(nodePorts(lb)[0]).toBeGreaterThanOrEqual(30000);
    const hc = specOf(lb).healthCheckNodePort as number;
    expect(hc).toBeGreaterThanOrEqual(30000);
    expect(hc).not.toBe(nodePorts(lb)[0]);
    expect(specOf(lb).allocateLoadBalancerNodePorts).toBe(true);
    expect([...(await records(f.store)).ports.keys()].sort()).toEqual([nodePorts(lb)[0], hc].sort());
    const noPorts = await create('lb2', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false });
    expect(nodePorts(noPorts)).toEqual([undefined]);
  });
});

describe('release', () => {
  it('releases everything a Service held when it is deleted', async () => {
    await create('web', { type: 'NodePort', clusterIP: '10.96.0.30', ports: [{ port: 80, nodePort: 30080 }] });
    await f.registry.delete(SERVICES, NS, 'web');
    await nothingAllocated();
    // …so the values are free again.
    const again = await create('web2', { type: 'NodePort', clusterIP: '10.96.0.30', ports: [{ port: 80, nodePort: 30080 }] });
    expect(nodePorts(again)).toEqual([30080]);
  });

  it('releases on updates: NodePort → ClusterIP frees the ports, a removed port frees its node port, → ExternalName frees the IP', async () => {
    const svc = await create('web', {
      type: 'NodePort',
      ports: [
        { name: 'http', port: 80, nodePort: 30080 },
        { name: 'admin', port: 81, nodePort: 30081 },
      ],
    });
    const ip = specOf(svc).clusterIP as string;
    const patch = (body: unknown) => f.registry.patch(SERVICES, NS, 'web', 'application/merge-patch+json', body);
    await patch({ spec: { ports: [{ name: 'http', port: 80, nodePort: 30080 }] } });
    expect([...(await records(f.store)).ports.keys()]).toEqual([30080]);
    const asClusterIP = await patch({ spec: { type: 'ClusterIP' } });
    expect(nodePorts(asClusterIP)).toEqual([undefined]);
    expect([...(await records(f.store)).ports.keys()]).toEqual([]);
    expect([...(await records(f.store)).ips.keys()]).toEqual([ip]);
    const external = await patch({ spec: { type: 'ExternalName', externalName: 'example.com' } });
    expect(specOf(external).clusterIP).toBeUndefined();
    await nothingAllocated();
    // And back: a new ClusterIP is allocated.
    const back = await patch({ spec: { type: 'ClusterIP', externalName: null } });
    expect(ipInRange(parseServiceCIDR(CIDR), specOf(back).clusterIP as string)).toBe(true);
    expect((await records(f.store)).ips.size).toBe(1);
  });

  it('allocates node ports when a ClusterIP Service becomes NodePort, and refuses a ClusterIP change', async () => {
    await create('web', { clusterIP: '10.96.0.40' });
    const np = await f.registry.patch(SERVICES, NS, 'web', 'application/merge-patch+json', { spec: { type: 'NodePort' } });
    expect([...(await records(f.store)).ports.keys()]).toEqual(nodePorts(np));
    const changed = await statusOf(f.registry.patch(SERVICES, NS, 'web', 'application/merge-patch+json', { spec: { clusterIP: '10.96.0.41' } }));
    expect(changed).toEqual({ code: 422, message: 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.41"}: may not change once set' });
    expect([...(await records(f.store)).ips.keys()]).toEqual(['10.96.0.40']);
  });

  it('refuses an update that asks for a node port another Service holds, changing nothing', async () => {
    await create('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    await create('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30090 }] });
    const taken = await statusOf(f.registry.patch(SERVICES, NS, 'b', 'application/merge-patch+json', { spec: { ports: [{ port: 80, nodePort: 30080 }] } }));
    expect(taken.message).toBe('Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const r = await records(f.store);
    expect(r.ports.get(30080)?.name).toBe('a');
    expect(r.ports.get(30090)?.name).toBe('b');
  });

  it('releases when a namespace is emptied (deletes go through the registry)', async () => {
    const ns = findResource('', 'v1', 'namespaces')!;
    await f.registry.create(ns, undefined, { metadata: { name: 'team' } });
    await f.registry.create(SERVICES, 'team', service('web', { type: 'NodePort' }, 'team'));
    await f.registry.delete(ns, undefined, 'team');
    const deadline = Date.now() + 10_000;
    while ((await records(f.store)).ips.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await nothingAllocated();
  });
});

describe('concurrency', () => {
  it('50 parallel creates through one Registry get 50 distinct ClusterIPs and node ports (small ranges force collisions)', async () => {
    const small = await embeddedFixture({ clusterIPRange: '10.0.0.0/26', nodePortRange: '30000-30059' });
    try {
      const created = await Promise.all(Array.from({ length: 50 }, (_, i) => small.registry.create(SERVICES, NS, service(`s${i}`, { type: 'NodePort' }))));
      const ips = created.map((s) => specOf(s).clusterIP);
      const ports = created.map((s) => nodePorts(s)[0]);
      expect(new Set(ips).size).toBe(50);
      expect(new Set(ports).size).toBe(50);
      const r = await records(small.store);
      expect(new Set([...r.ips.values()].map((o) => o?.name)).size).toBe(50);
      expect(r.ports.size).toBe(50);
    } finally {
      await small.close();
    }
  });
});
