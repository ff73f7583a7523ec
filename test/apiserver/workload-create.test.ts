/** Every workload kind can be created through the Registry: its initial status passes its own schema. */
import { expect, it } from 'vitest';
import { openMemoryStore } from '../../src/store/embedded/index.ts';
import { Registry } from '../../src/registry/registry.ts';
import { findResource } from '../../src/api/kinds.ts';
const tpl = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
it.each([
  ['apps', 'v1', 'replicasets', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'x' }, spec: { replicas: 1, selector: { matchLabels: { app: 'a' } }, template: tpl } }],
  ['', 'v1', 'replicationcontrollers', { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'x' }, spec: { replicas: 1, selector: { app: 'a' }, template: tpl } }],
  ['apps', 'v1', 'statefulsets', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'x' }, spec: { serviceName: 'x', selector: { matchLabels: { app: 'a' } }, template: tpl } }],
  ['apps', 'v1', 'daemonsets', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'x' }, spec: { selector: { matchLabels: { app: 'a' } }, template: tpl } }],
  ['apps', 'v1', 'deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { selector: { matchLabels: { app: 'a' } }, template: tpl } }],
  ['batch', 'v1', 'jobs', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } }],
  ['autoscaling', 'v2', 'horizontalpodautoscalers', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x' }, spec: { maxReplicas: 3, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' } } }],
])('creates %s/%s %s through the Registry', async (g, v, r, obj) => {
  const store = await openMemoryStore();
  const reg = new Registry({ store });
  await reg.start(['default']);
  const created = await reg.create(findResource(g, v, r)!, 'default', obj);
  expect(created.metadata?.uid).toBeTruthy();
  reg.close(); await store.close();
});
