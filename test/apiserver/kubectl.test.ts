/**
 * The real kubectl 1.32 against the API server: discovery, apply (with OpenAPI validation, no
 * --validate=false), get with server-side Tables, get -w, describe, patch (merge/json/strategic),
 * scale through /scale, delete (which waits on a metadata.name field-selector watch), -o yaml.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './harness.ts';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
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

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: c
    image: busybox
    command: [sleep, "3600"]
`;

describe('kubectl', () => {
  it('get ns', async () => {
    const out = await ok(['get', 'ns']);
    expect(out.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+AGE$/);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) expect(out).toMatch(new RegExp(`^${ns}\\s+Active\\s+`, 'm'));
  });

  it('apply -f a ConfigMap and a Pod, get pods with the normal columns, get -o yaml, describe', async () => {
    const cm = await manifest('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n');
    expect(await ok(['apply', '-f', cm])).toBe('configmap/settings created\n');
    expect(await ok(['apply', '-f', await manifest('pod.yaml', POD)])).toBe('pod/web created\n');
    await manifest('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "2"\n  b: "3"\n');
    expect(await ok(['apply', '-f', cm])).toBe('configmap/settings configured\n');

    const pods = await ok(['get', 'pods']);
    expect(pods).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(pods).toMatch(/^web\s+0\/1\s+Pending\s+0\s+\d+s$/m);

    const yaml = await ok(['get', 'pod', 'web', '-o', 'yaml']);
    expect(yaml).toContain('kind: Pod');
    expect(yaml).toContain('  name: web');
    expect(yaml).toMatch(/resourceVersion: "\d+"/);
    expect(yaml).toContain('kubectl.kubernetes.io/last-applied-configuration');

    const described = await ok(['describe', 'configmap', 'settings']);
    expect(described).toMatch(/^Name:\s+settings$/m);
    expect(described).toMatch(/^b:\n----\n3$/m);
  });

  it('rejects an unknown field on apply (server-side strict validation)', async () => {
    const bad = await manifest('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\nspec:\n  foo: 1\n');
    const r = await c.kubectl(['apply', '-f', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "spec"');
  });

  it('get pods -w prints a pod created after it started', async () => {
    const child = c.spawnKubectl(['get', 'pods', '-w']);
    let out = '';
    // One reader for the whole run: what kubectl prints between two waits is kept, not dropped.
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const seen = (needle: RegExp): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kubectl get -w never printed ${needle}; got:\n${out}`)), 20_000);
        const check = (): void => {
          if (needle.test(out)) {
            clearTimeout(timer);
            child.stdout?.off('data', check);
            resolve();
          }
        };
        child.stdout?.on('data', check);
        check();
      });
    try {
      await seen(/^web\s+0\/1\s+Pending/m);
      const created = await c.client.post('/api/v1/namespaces/default/pods', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'watched' }, spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
      expect(created.status).toBe(201);
      // Not anchored at line start: in one loaded CI run kubectl's output had the previous row
      // ("web …") without its AGE cell and line end, so this row began mid-line. The row is the point.
      await seen(/(?:^|\s)watched\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    } finally {
      child.kill();
    }
  });

  it('patch --type merge, json and strategic', async () => {
    await ok(['patch', 'configmap', 'settings', '--type', 'merge', '-p', '{"data":{"c":"4"}}']);
    await ok(['patch', 'configmap', 'settings', '--type', 'json', '-p', '[{"op":"remove","path":"/data/a"}]']);
    await ok(['patch', 'pod', 'web', '--type', 'strategic', '-p', '{"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}']);
    expect(await ok(['get', 'configmap', 'settings', '-o', 'jsonpath={.data}'])).toBe('{"b":"3","c":"4"}');
    expect(await ok(['get', 'pod', 'web', '-o', 'jsonpath={.spec.containers[*].image}'])).toBe('busybox:1.36');
  });

  it('scale a Deployment through /scale', async () => {
    const deploy = await manifest(
      'deploy.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: c, image: busybox}]
`,
    );
    await ok(['apply', '-f', deploy]);
    expect(await ok(['scale', 'deployment', 'api', '--replicas=4'])).toBe('deployment.apps/api scaled\n');
    expect(await ok(['get', 'deployment', 'api', '-o', 'jsonpath={.spec.replicas}'])).toBe('4');
  });

  it('delete pod and delete -f wait for the objects to go', async () => {
    expect(await ok(['delete', 'pod', 'web'])).toBe('pod "web" deleted\n');
    expect(await ok(['delete', '-f', join(c.dir, 'cm.yaml')])).toBe('configmap "settings" deleted\n');
    expect((await c.client.get('/api/v1/namespaces/default/pods/web')).status).toBe(404);
    const r = await c.kubectl(['get', 'configmap', 'settings']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('configmaps "settings" not found');
  });
});
