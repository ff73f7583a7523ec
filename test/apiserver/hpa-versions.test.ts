/**
 * HorizontalPodAutoscalers served in autoscaling/v1 as well as v2 (stored as v2, converted at the
 * Registry as Kubernetes converts them): what each version shows of the other's writes, v1 writes
 * that keep what only v2 can say, patches and watches in v1, and `kubectl autoscale` (a protobuf
 * v1 object) and `kubectl apply` of a v1 manifest with the real kubectl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/object.ts';
import { startTestCluster, type TestCluster } from './harness.ts';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c?.close();
});

const V1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const V2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';
const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const cpu = (n: number) => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: n } } });
const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
const behavior = { scaleDown: { stabilizationWindowSeconds: 60 } };

describe('autoscaling/v1 HorizontalPodAutoscaler', () => {
  it('a v1 create is a v2 object with a CPU utilization metric, and reads back as it was sent', async () => {
    const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'a' }, spec: { scaleTargetRef: target, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60 } };
    const created = await c.client.post(V1, v1);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject(v1);
    expect((await c.client.get(`${V2}/a`)).body).toMatchObject({ apiVersion: 'autoscaling/v2', spec: { minReplicas: 2, maxReplicas: 5, metrics: [cpu(60)] } });
    expect((await c.client.get(`${V1}/a`)).body).toMatchObject(v1);
    const list = await c.client.get<{ apiVersion: string; items: KubeObject[] }>(V1);
    expect(list.body.apiVersion).toBe('autoscaling/v1');
    expect(list.body.items.map((o) => [o.apiVersion, o.metadata?.name])).toContainEqual(['autoscaling/v1', 'a']);
  });

  it('shows a v2 object in v1 with what v1 cannot say in annotations; a v1 update keeps it', async () => {
    const v2 = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'b', annotations: { team: 'x' } }, spec: { scaleTargetRef: target, maxReplicas: 4, metrics: [cpu(70), memory], behavior } };
    expect((await c.client.post(V2, v2)).status).toBe(201);
    const v1 = (await c.client.get(`${V1}/b`)).body;
    expect(v1).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { maxReplicas: 4, targetCPUUtilizationPercentage: 70 } });
    const annotations = v1.metadata!.annotations!;
    expect(annotations.team).toBe('x');
    expect(JSON.parse(annotations['autoscaling.alpha.kubernetes.io/metrics']!)).toEqual([memory]);
    expect(JSON.parse(annotations['autoscaling.alpha.kubernetes.io/behavior']!)).toMatchObject(behavior);

    const updated = await c.client.put(`${V1}/b`, { ...v1, spec: { ...(v1.spec as object), maxReplicas: 6, targetCPUUtilizationPercentage: 75 } });
    expect(updated.status, updated.text).toBe(200);
    expect((await c.client.get(`${V2}/b`)).body).toMatchObject({ metadata: { annotations: { team: 'x' } }, spec: { maxReplicas: 6, metrics: [cpu(75), memory], behavior } });
    const stored = (await c.client.get(`${V2}/b`)).body;
    expect(Object.keys(stored.metadata!.annotations!)).toEqual(['team']);
  });

  it('applies a v1 merge patch to the v1 form; a v2 body at the v1 endpoint is a 400', async () => {
    const patched = await c.client.patch(`${V1}/a`, { spec: { targetCPUUtilizationPercentage: 45 } }, 'application/merge-patch+json');
    expect(patched.status, patched.text).toBe(200);
    expect((await c.client.get(`${V2}/a`)).body).toMatchObject({ spec: { metrics: [cpu(45)] } });
    const wrong = await c.client.post(V1, { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'c' }, spec: { scaleTargetRef: target, maxReplicas: 2 } });
    expect(wrong.status).toBe(400);
    expect((await c.client.get(`${V2}/c`)).status).toBe(404);
  });

  it('watches in v1 see v1 objects', async () => {
    const watch = await c.client.watch(`${V1}?watch=1&resourceVersion=0`);
    const [first] = await watch.waitForCount(1);
    expect(first!.object).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler' });
    expect(first!.object.spec).toHaveProperty('targetCPUUtilizationPercentage');
    // A change made in v2 arrives in v1 form.
    await c.client.patch(`${V2}/a`, { spec: { maxReplicas: 9 } }, 'application/merge-patch+json');
    const changed = await watch.waitFor((e) => e.type === 'MODIFIED' && e.object.metadata?.name === 'a');
    expect(changed.object).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { maxReplicas: 9, targetCPUUtilizationPercentage: 45 } });
    watch.close();
  });

  it('kubectl autoscale (a protobuf v1 object) stores what kubectl built; kubectl apply of a v1 manifest', async () => {
    const deployment = await c.kubectl(['create', 'deployment', 'web', '--image=busybox']);
    expect(deployment.code, deployment.stderr).toBe(0);
    const args = ['autoscale', 'deployment', 'web', '--min=2', '--max=7', '--cpu-percent=65'];
    const local = await c.kubectl([...args, '--dry-run=client', '-o', 'json']);
    expect(local.code, local.stderr).toBe(0);
    const r = await c.kubectl(args);
    expect(r).toMatchObject({ code: 0, stdout: 'horizontalpodautoscaler.autoscaling/web autoscaled\n' });
    const built = JSON.parse(local.stdout) as KubeObject;
    expect(built.apiVersion).toBe('autoscaling/v1');
    expect((await c.client.get(`${V1}/web`)).body).toMatchObject({ metadata: { name: 'web' }, spec: built.spec as object });

    const manifest = `apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: old}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n  targetCPUUtilizationPercentage: 50\n`;
    expect(await c.kubectl(['apply', '-f', '-'], manifest)).toMatchObject({ code: 0, stdout: 'horizontalpodautoscaler.autoscaling/old created\n' });
    expect(await c.kubectl(['apply', '-f', '-'], manifest.replace('50', '55'))).toMatchObject({ code: 0, stdout: 'horizontalpodautoscaler.autoscaling/old configured\n' });
    expect((await c.client.get(`${V2}/old`)).body).toMatchObject({ spec: { maxReplicas: 3, metrics: [cpu(55)] } });
    const table = await c.kubectl(['get', 'hpa', 'old']);
    expect(table.stdout).toMatch(/^old\s+Deployment\/web\s+cpu: <unknown>\/55%\s+1\s+3\s+0\s+\S+$/m);
  });
});
