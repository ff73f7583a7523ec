/**
 * Services through the real kubectl 1.32: `apply` of a Deployment and a Service, `expose`,
 * `get svc` (also `-o wide`) with Kubernetes' columns, the ClusterIP shown right after the
 * create, node ports as `80:30080/TCP`, headless `None`, ExternalName and LoadBalancer
 * `<pending>`, the 422s with Kubernetes' wording, re-apply keeping the allocation, and
 * `get endpointslices` / `get ep` once the leader's Service controller has written them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceController } from '../../src/actors/service/controller.ts';
import { startTestCluster, waitFor, type TestCluster } from './harness.ts';

let c: TestCluster;
let controller: ServiceController | undefined;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  controller?.stop();
  await c?.close();
});

async function manifest(name: string, text: string): Promise<string> {
  const path = join(c.dir, name);
  await writeFile(path, text);
  return path;
}

async function ok(args: string[]): Promise<string> {
  const r = await c.kubectl(args);
  expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const APP = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: c
        image: busybox
        command: [httpd, -f, -p, "8080"]
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: http
`;

/** The columns of one `kubectl get` row, split on runs of spaces. */
function rowOf(out: string, name: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(name.endsWith('-') ? name : `${name} `));
  if (!line) throw new Error(`no row ${name} in:\n${out}`);
  return line.trim().split(/\s{2,}/);
}

const CLUSTER_IP = /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/;

describe('kubectl and Services', () => {
  it('apply shows the allocated ClusterIP at once in get svc, with Kubernetes columns', async () => {
    expect(await ok(['apply', '-f', await manifest('app.yaml', APP)])).toBe('deployment.apps/web created\nservice/web created\n');
    const out = await ok(['get', 'svc']);
    expect(out.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    const [name, type, ip, external, ports, age] = rowOf(out, 'web');
    expect([name, type, external, ports]).toEqual(['web', 'ClusterIP', '<none>', '80/TCP']);
    expect(ip).toMatch(CLUSTER_IP);
    expect(age).toMatch(/^\d+s$/);
    expect(rowOf(await ok(['get', 'svc', '-o', 'wide']), 'web')[6]).toBe('app=web');
    // Re-apply: unchanged, same address.
    expect(await ok(['apply', '-f', join(c.dir, 'app.yaml')])).toBe('deployment.apps/web unchanged\nservice/web unchanged\n');
    expect(rowOf(await ok(['get', 'svc', 'web']), 'web')[2]).toBe(ip);
  });

  it('expose deployment as NodePort prints port:nodePort/TCP', async () => {
    expect(await ok(['expose', 'deployment', 'web', '--name', 'web-np', '--type', 'NodePort', '--port', '8080'])).toBe('service/web-np exposed\n');
    const [, type, ip, external, ports] = rowOf(await ok(['get', 'svc', 'web-np']), 'web-np');
    expect([type, external]).toEqual(['NodePort', '<none>']);
    expect(ip).toMatch(CLUSTER_IP);
    expect(ports).toMatch(/^8080:3\d{4}\/TCP$/);
    const nodePort = Number(/:(\d+)\//.exec(ports)![1]);
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
  });

  it('headless, ExternalName and LoadBalancer Services print as Kubernetes prints them', async () => {
    await ok(['create', 'service', 'clusterip', 'db', '--clusterip', 'None']);
    await ok(['create', 'service', 'externalname', 'ext', '--external-name', 'example.com']);
    await ok(['create', 'service', 'loadbalancer', 'lb', '--tcp', '443:8443']);
    const out = await ok(['get', 'svc']);
    expect(rowOf(out, 'db').slice(1, 5)).toEqual(['ClusterIP', 'None', '<none>', '<none>']);
    expect(rowOf(out, 'ext').slice(1, 5)).toEqual(['ExternalName', '<none>', 'example.com', '<none>']);
    const lb = rowOf(out, 'lb');
    expect(lb[3]).toBe('<pending>');
    expect(lb[4]).toMatch(/^443:3\d{4}\/TCP$/);
  });

  it('refuses a taken ClusterIP or node port with Kubernetes\' message', async () => {
    await ok(['apply', '-f', await manifest('dns.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: dns}\nspec:\n  clusterIP: 10.96.0.10\n  ports: [{port: 53, protocol: UDP}]\n')]);
    const dup = await c.kubectl(['apply', '-f', await manifest('dns2.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: dns2}\nspec:\n  clusterIP: 10.96.0.10\n  ports: [{port: 53, protocol: UDP}]\n')]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain('The Service "dns2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated');
    const np = rowOf(await ok(['get', 'svc', 'web-np']), 'web-np')[4];
    const port = /:(\d+)\//.exec(np)![1];
    const taken = await c.kubectl(['create', 'service', 'nodeport', 'np2', '--tcp', '80:80', '--node-port', port]);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain(`Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: ${port}: provided port is already allocated`);
    expect((await c.kubectl(['get', 'svc', 'dns2'])).stderr).toContain('services "dns2" not found');
  });

  it('refuses a ClusterIP change on apply', async () => {
    const changed = await c.kubectl(['apply', '-f', await manifest('dns.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: dns}\nspec:\n  clusterIP: 10.96.0.11\n  ports: [{port: 53, protocol: UDP}]\n')]);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain('spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set');
  });

  it('applies and prints a hand-written EndpointSlice, selectable by kubernetes.io/service-name', async () => {
    const slice = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: manual-1
  labels: {kubernetes.io/service-name: manual}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [10.244.1.5]
  conditions: {ready: true}
- addresses: [10.244.1.6]
`;
    expect(await ok(['apply', '-f', await manifest('slice.yaml', slice)])).toBe('endpointslice.discovery.k8s.io/manual-1 created\n');
    const out = await ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=manual']);
    expect(out.split('\n')[0]).toMatch(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/);
    expect(rowOf(out, 'manual-1').slice(0, 4)).toEqual(['manual-1', 'IPv4', '8080', '10.244.1.5,10.244.1.6']);
    expect(await ok(['get', 'endpointslice', 'manual-1', '-o', 'jsonpath={.ports[0].protocol}'])).toBe('TCP');
    const bad = await c.kubectl(['apply', '-f', await manifest('bad-slice.yaml', slice.replace('manual-1', 'manual-2').replace('10.244.1.6', 'fd00::6'))]);
    expect(bad.stderr).toContain('endpoints[1].addresses[0]: Invalid value: "fd00::6": must be a valid IPv4 address');
    expect(await ok(['explain', 'endpointslice.addressType'])).toContain('addressType');
  });

  it('get endpointslices, get ep and describe svc show the ready pods once the Service controller runs', async () => {
    // The Deployment's pods as a node reports them (no node here): bound, with an IP, ready.
    for (const [name, ip] of [['web-a', '10.244.0.5'], ['web-b', '10.244.0.6']]) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] } };
      expect((await c.client.post('/api/v1/namespaces/default/pods', pod)).status).toBe(201);
      const current = (await c.client.get(`/api/v1/namespaces/default/pods/${name}`)).body;
      const status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] };
      expect((await c.client.put(`/api/v1/namespaces/default/pods/${name}/status`, { ...current, status })).status).toBe(200);
    }
    controller = new ServiceController({ store: c.store, registry: c.server.registry, events: { record: () => Promise.resolve() } });
    await controller.start();
    const ep = await waitFor('Endpoints web', async () => {
      const out = await ok(['get', 'ep', 'web']);
      return out.includes('10.244.0.6') && out;
    });
    expect(ep.split('\n')[0]).toMatch(/^NAME\s+ENDPOINTS\s+AGE$/);
    expect(rowOf(ep, 'web').slice(0, 2)).toEqual(['web', '10.244.0.5:8080,10.244.0.6:8080']);
    // The slice and the Endpoints are separate writes: wait for the slice too.
    const slices = await waitFor('EndpointSlice of web', async () => {
      const out = await ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
      return out.includes('10.244.0.6') && out;
    });
    const [name, addressType, ports, endpoints] = rowOf(slices, 'web-');
    expect(name).toMatch(/^web-[a-z0-9]{5}$/);
    // A slice keeps endpoints in the order they were added (as Kubernetes'): compare as a set.
    expect([addressType, ports, endpoints.split(',').sort().join(',')], slices).toEqual(['IPv4', '8080', '10.244.0.5,10.244.0.6']);
    const described = await ok(['describe', 'svc', 'web']);
    expect(described).toMatch(/^Endpoints:\s+10\.244\.0\.[56]:8080,10\.244\.0\.[56]:8080$/m);
    expect(described).toMatch(/^IP Family Policy:\s+SingleStack$/m);
  });

  it('serves EndpointSlices: discovery, empty list, label selector', async () => {
    expect(await ok(['api-resources', '--api-group', 'discovery.k8s.io', '--no-headers'])).toMatch(/^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
    const empty = await c.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=nothing']);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain('No resources found in default namespace.');
  });
});
