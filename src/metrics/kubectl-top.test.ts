/**
 * The real kubectl 1.32 `top pods` / `top nodes` against a real API server whose
 * PodMetricsStore is fed here, plus the raw metrics.k8s.io documents it reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResource, type ResourceInfo } from '../api/kinds.ts';
import { startTestCluster, type TestCluster } from '../../test/apiserver/harness.ts';
import { PodMetricsStore } from './pod-metrics-store.ts';

const PODS = findResource('', 'v1', 'pods') as ResourceInfo;
const NODES = findResource('', 'v1', 'nodes') as ResourceInfo;

let c: TestCluster;
const store = new PodMetricsStore();

beforeAll(async () => {
  c = await startTestCluster({ server: { metrics: store } });
  const reg = c.server.registry;
  await reg.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { zone: 'a' } }, status: { allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, capacity: { cpu: '2', memory: '4Gi', pods: '110' } } });
  for (const [name, app] of [['web-1', 'web'], ['web-2', 'web'], ['db', 'db']]) {
    await reg.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  }
  store.recordNodeMetrics({
    node: 'n1',
    timestamp: Date.now(),
    windowSeconds: 15,
    pods: [
      { namespace: 'default', name: 'web-1', containers: [{ name: 'c', cpuNanoCores: 12_000_000, memoryBytes: 10 * 1024 * 1024 }] },
      { namespace: 'default', name: 'web-2', containers: [{ name: 'c', cpuNanoCores: 250_500_000, memoryBytes: 3 * 1024 * 1024 }] },
      { namespace: 'default', name: 'db', containers: [{ name: 'c', cpuNanoCores: 1_234_567, memoryBytes: 1_000_000 }] },
      // Metrics of a pod the API does not know (just deleted) are not served.
      { namespace: 'default', name: 'gone', containers: [{ name: 'c', cpuNanoCores: 1, memoryBytes: 1 }] },
    ],
  });
}, 30_000);
afterAll(async () => {
  await c?.close();
});

describe('metrics.k8s.io with kubectl top', () => {
  it('is discovered and serves PodMetricsList in metrics-server quantities', async () => {
    const list = await c.client.request<{ kind: string; items: { metadata: { name: string; labels?: Record<string, string> }; window: string; containers: { usage: { cpu: string; memory: string } }[] }[] }>('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe('PodMetricsList');
    const byName = Object.fromEntries(list.body.items.map((i) => [i.metadata.name, i]));
    expect(Object.keys(byName).sort()).toEqual(['db', 'web-1', 'web-2']);
    expect(byName['web-1'].containers[0].usage).toEqual({ cpu: '12m', memory: '10Mi' });
    expect(byName.db.containers[0].usage).toEqual({ cpu: '1234567n', memory: '1000000' });
    expect(byName.db.window).toBe('15s');
    expect(byName.db.metadata.labels).toEqual({ app: 'db' });

    const selected = await c.client.request<{ items: unknown[] }>('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb');
    expect(selected.body.items).toHaveLength(2);
    const missing = await c.client.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope');
    expect(missing.status).toBe(404);
    const group = await c.client.request<{ resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] }>('GET', '/apis/metrics.k8s.io/v1beta1');
    expect(group.body.resources.map((r) => [r.name, r.kind, r.namespaced])).toEqual([
      ['pods', 'PodMetrics', true],
      ['nodes', 'NodeMetrics', false],
    ]);
  });

  it('kubectl top pods', async () => {
    const r = await c.kubectl(['top', 'pods']);
    expect(r.code, r.stderr).toBe(0);
    // kubectl rounds millicores up (250.5m -> 251m, 1234567n -> 2m).
    expect(r.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    expect(r.stdout).toMatch(/^web-1\s+12m\s+10Mi\s*$/m);
    expect(r.stdout).toMatch(/^web-2\s+251m\s+3Mi\s*$/m);
    expect(r.stdout).toMatch(/^db\s+2m\s+0Mi\s*$/m);
    const sel = await c.kubectl(['top', 'pods', '-l', 'app=web', '--no-headers']);
    expect(sel.code, sel.stderr).toBe(0);
    expect(sel.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('kubectl top nodes', async () => {
    const r = await c.kubectl(['top', 'nodes']);
    expect(r.code, r.stderr).toBe(0);
    // kubectl rounds millicores up: 12m + 250.5m + 1.23m (+1n) -> 264m of 2 cores (13%); 13 MiB + ~1 MB = 13Mi of 4Gi (0%).
    expect(r.stdout).toMatch(/^n1\s+264m\s+13%\s+13Mi\s+0%\s*$/m);
  });
});
