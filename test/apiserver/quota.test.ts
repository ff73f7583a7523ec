/**
 * ResourceQuota and LimitRange against a real API server (with the leader's quota controller)
 * and the real kubectl: `kubectl create quota` (protobuf), `get` and `describe` as Kubernetes
 * prints them, the 403s with Kubernetes' messages, usage given back after a delete.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceQuotaController } from '../../src/actors/resourcequota/controller.ts';
import { startTestCluster, waitFor, type TestCluster } from './harness.ts';

let c: TestCluster;
let controller: ResourceQuotaController;

beforeAll(async () => {
  c = await startTestCluster();
  controller = new ResourceQuotaController({ store: c.store, registry: c.server.registry, logger: pino({ level: 'silent' }) });
  await controller.start();
});
afterAll(async () => {
  controller?.stop();
  await c?.close();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input);
  expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const pod = (name: string, resources: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers:
  - name: c
    image: busybox
    resources: ${resources}
`;

/** The quota's status once the controller counted it: `used` as JSON. */
const usedOf = async (ns: string, name: string): Promise<string> => (await c.kubectl(['get', 'quota', name, '-n', ns, '-o', 'jsonpath={.status.used}'])).stdout;

describe('ResourceQuota (kubectl)', () => {
  it('kubectl create quota, get and describe print as Kubernetes does', async () => {
    await ok(['create', 'namespace', 'q1']);
    await ok(['create', 'quota', 'compute', '-n', 'q1', '--hard=pods=4,requests.cpu=1,requests.memory=1Gi,limits.cpu=2,limits.memory=2Gi']);
    await waitFor('the controller to count', async () => (await usedOf('q1', 'compute')) !== '');
    const table = await ok(['get', 'quota', '-n', 'q1']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+AGE\s+REQUEST\s+LIMIT$/);
    expect(table.split('\n')[1]).toMatch(/^compute\s+\S+\s+pods: 0\/4, requests\.cpu: 0\/1, requests\.memory: 0\/1Gi\s+limits\.cpu: 0\/2, limits\.memory: 0\/2Gi$/);
    await ok(['apply', '-n', 'q1', '-f', '-'], pod('web', '{requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: 500m, memory: 128Mi}}'));
    const described = await ok(['describe', 'quota', 'compute', '-n', 'q1']);
    expect(described).toMatch(/Name:\s+compute\nNamespace:\s+q1\nResource\s+Used\s+Hard\n-+\s+-+\s+-+\n/);
    expect(described).toMatch(/limits\.cpu\s+500m\s+2\n/);
    expect(described).toMatch(/limits\.memory\s+128Mi\s+2Gi\n/);
    expect(described).toMatch(/pods\s+1\s+4\n/);
    expect(described).toMatch(/requests\.cpu\s+250m\s+1\n/);
    expect(described).toMatch(/requests\.memory\s+64Mi\s+1Gi\n/);
  });

  it('refuses the pod past the quota with 403 and Kubernetes\' message, and gives usage back after a delete', async () => {
    await ok(['create', 'namespace', 'q2']);
    await ok(['create', 'quota', 'q', '-n', 'q2', '--hard=pods=2']);
    await waitFor('the controller to count', async () => (await usedOf('q2', 'q')) !== '');
    await ok(['run', 'p1', '-n', 'q2', '--image', 'busybox', '--restart', 'Never']);
    await ok(['run', 'p2', '-n', 'q2', '--image', 'busybox', '--restart', 'Never']);
    const refused = await c.kubectl(['apply', '-n', 'q2', '-f', '-'], pod('p3', '{}'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim()).toBe('Error from server (Forbidden): error when creating "STDIN": pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
    const res = await c.client.post('/api/v1/namespaces/q2/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p3' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, details: { name: 'p3', kind: 'pods' } });
    await ok(['delete', 'pod', 'p1', '-n', 'q2']);
    await waitFor('usage given back', async () => (await usedOf('q2', 'q')) === '{"pods":"1"}');
    await ok(['apply', '-n', 'q2', '-f', '-'], pod('p3', '{}'));
  });

  it('makes pods state what a compute quota tracks', async () => {
    await ok(['create', 'namespace', 'q3']);
    await ok(['create', 'quota', 'mem', '-n', 'q3', '--hard=limits.memory=1Gi']);
    await waitFor('the controller to count', async () => (await usedOf('q3', 'mem')) !== '');
    const refused = await c.kubectl(['apply', '-n', 'q3', '-f', '-'], pod('bare', '{}'));
    expect(refused.stderr.trim()).toBe('Error from server (Forbidden): error when creating "STDIN": pods "bare" is forbidden: failed quota: mem: must specify limits.memory for: c');
  });
});

describe('LimitRange (kubectl)', () => {
  const limits = `apiVersion: v1
kind: LimitRange
metadata: {name: cpu-bounds}
spec:
  limits:
  - type: Container
    max: {cpu: "1"}
    min: {cpu: 100m}
    default: {cpu: 500m}
    defaultRequest: {cpu: 200m}
    maxLimitRequestRatio: {cpu: "4"}
`;

  it('defaults and bounds containers, and prints as Kubernetes does', async () => {
    await ok(['create', 'namespace', 'lr']);
    await ok(['apply', '-n', 'lr', '-f', '-'], limits);
    const table = await ok(['get', 'limits', '-n', 'lr']);
    expect(table).toMatch(/^NAME\s+CREATED AT\ncpu-bounds\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    const described = await ok(['describe', 'limitrange', 'cpu-bounds', '-n', 'lr']);
    expect(described).toMatch(/Type\s+Resource\s+Min\s+Max\s+Default Request\s+Default Limit\s+Max Limit\/Request Ratio\n/);
    expect(described).toMatch(/Container\s+cpu\s+100m\s+1\s+200m\s+500m\s+4\n/);
    await waitFor('the LimitRange to apply', async () => {
      await c.kubectl(['delete', 'pod', 'plain', '-n', 'lr', '--ignore-not-found']);
      await ok(['apply', '-n', 'lr', '-f', '-'], pod('plain', '{}'));
      return (await ok(['get', 'pod', 'plain', '-n', 'lr', '-o', 'jsonpath={.spec.containers[0].resources}'])) === '{"limits":{"cpu":"500m"},"requests":{"cpu":"200m"}}';
    });
    const annotation = await ok(['get', 'pod', 'plain', '-n', 'lr', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}']);
    expect(annotation).toBe('LimitRanger plugin set: cpu request for container c; cpu limit for container c');
    const big = await c.kubectl(['apply', '-n', 'lr', '-f', '-'], pod('big', '{limits: {cpu: "2"}}'));
    expect(big.stderr.trim()).toBe('Error from server (Forbidden): error when creating "STDIN": pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
    const greedy = await c.kubectl(['apply', '-n', 'lr', '-f', '-'], pod('greedy', '{requests: {cpu: 100m}, limits: {cpu: 800m}}'));
    expect(greedy.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "greedy" is forbidden: cpu max limit to request ratio per Container is 4, but provided ratio is 8.000000',
    );
  });
});
