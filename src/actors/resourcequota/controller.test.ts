import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { testCluster, waitFor, type TestCluster } from '../../registry/test-support.ts';
import { ResourceQuotaController } from './controller.ts';

const QUOTAS = findResource('', 'v1', 'resourcequotas')!;
const PODS = findResource('', 'v1', 'pods')!;
const DEPLOYMENTS = findResource('apps', 'v1', 'deployments')!;
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });

const pod = (name: string, cpu = '100m', extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu }, limits: { cpu } } }], ...extra },
});

const deployment = (name: string): KubeObject => ({
  metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
});

describe('resourcequota controller', () => {
  let cluster: TestCluster;
  let controller: ResourceQuotaController;

  beforeEach(async () => {
    cluster = await testCluster({ admission: {} });
    controller = new ResourceQuotaController({ store: cluster.store, registry: cluster.registry, logger });
    await controller.start();
  });
  afterEach(async () => {
    controller.stop();
    await cluster.close();
  });

  const statusOf = async (name: string) => (await cluster.registry.get(QUOTAS, 'default', name)).status as { hard?: Record<string, string>; used?: Record<string, string> } | undefined;
  const usedBecomes = (name: string, used: Record<string, string>) =>
    waitFor(`${name} used ${JSON.stringify(used)}`, async () => JSON.stringify((await statusOf(name))?.used) === JSON.stringify(used), 5000);

  it('counts what exists when a quota appears, in canonical quantities', async () => {
    await cluster.registry.create(PODS, 'default', pod('a', '250m'));
    await cluster.registry.create(PODS, 'default', pod('b', '0.75'));
    await cluster.registry.create(DEPLOYMENTS, 'default', deployment('d'));
    await cluster.registry.create(QUOTAS, 'default', { metadata: { name: 'q' }, spec: { hard: { pods: '1000', 'requests.cpu': '4', 'limits.cpu': '4', 'count/deployments.apps': '2', secrets: '10' } } });
    await usedBecomes('q', { 'count/deployments.apps': '1', 'limits.cpu': '1', pods: '2', 'requests.cpu': '1', secrets: '0' });
    expect((await statusOf('q'))?.hard).toEqual({ 'count/deployments.apps': '2', 'limits.cpu': '4', pods: '1k', 'requests.cpu': '4', secrets: '10' });
  });

  it('gives back what deletes, finished pods and removed objects of counted kinds release', async () => {
    await cluster.registry.create(QUOTAS, 'default', { metadata: { name: 'q' }, spec: { hard: { pods: '5', 'count/deployments.apps': '3' } } });
    await usedBecomes('q', { 'count/deployments.apps': '0', pods: '0' });
    for (const n of ['a', 'b', 'c']) await cluster.registry.create(PODS, 'default', pod(n));
    await cluster.registry.create(DEPLOYMENTS, 'default', deployment('d'));
    // Admission charged the creates.
    expect((await statusOf('q'))?.used).toEqual({ 'count/deployments.apps': '1', pods: '3' });
    await cluster.registry.delete(PODS, 'default', 'a');
    await usedBecomes('q', { 'count/deployments.apps': '1', pods: '2' });
    const b = await cluster.registry.get(PODS, 'default', 'b');
    await cluster.registry.updateStatus(PODS, 'default', 'b', { ...b, status: { ...(b.status as object), phase: 'Succeeded' } });
    await usedBecomes('q', { 'count/deployments.apps': '1', pods: '1' });
    await cluster.registry.delete(DEPLOYMENTS, 'default', 'd');
    await usedBecomes('q', { 'count/deployments.apps': '0', pods: '1' });
  });

  it('counts only the pods in a quota\'s scopes, and follows a changed hard', async () => {
    await cluster.registry.create(QUOTAS, 'default', { metadata: { name: 'jobs' }, spec: { hard: { pods: '3' }, scopes: ['Terminating'] } });
    await cluster.registry.create(PODS, 'default', pod('long'));
    await cluster.registry.create(PODS, 'default', pod('batch', '100m', { activeDeadlineSeconds: 60 }));
    await usedBecomes('jobs', { pods: '1' });
    await cluster.registry.patch(QUOTAS, 'default', 'jobs', 'application/merge-patch+json', { spec: { hard: { pods: '1', 'count/pods': '10' } } });
    await waitFor('the new hard', async () => (await statusOf('jobs'))?.hard?.pods === '1');
    await usedBecomes('jobs', { 'count/pods': '1', pods: '1' });
  });
});
