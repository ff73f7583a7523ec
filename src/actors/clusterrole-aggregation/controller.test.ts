import type { ClusterRole } from 'kubernetes-types/rbac/v1.d.ts';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResource } from '../../api/kinds.ts';
import type { KubeObject } from '../../api/object.ts';
import { testCluster, waitFor, type TestCluster } from '../../registry/test-support.ts';
import { aggregatedRules } from './aggregate.ts';
import { ClusterRoleAggregationController } from './controller.ts';

const CLUSTER_ROLES = findResource('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
const role = (name: string, labels: Record<string, string>, rules: ClusterRole['rules'], aggregateFrom?: Record<string, string>): ClusterRole => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  ...(rules ? { rules } : {}),
  ...(aggregateFrom ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: aggregateFrom }] } } : {}),
});
const get = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
const list = { apiGroups: [''], resources: ['pods'], verbs: ['list'] };

describe('aggregatedRules', () => {
  it('takes the selected roles by name, each rule once, never the role itself', () => {
    const view = role('view', { 'agg-edit': 'true' }, undefined, { 'agg-view': 'true' });
    const all = [view, role('b', { 'agg-view': 'true' }, [list, get]), role('a', { 'agg-view': 'true' }, [get]), role('c', {}, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }])];
    expect(aggregatedRules(view, all)).toEqual([get, list]);
    expect(aggregatedRules(role('none', {}, undefined, { nothing: 'x' }), all)).toEqual([]);
  });
});

describe('ClusterRoleAggregationController', () => {
  let c: TestCluster;
  let controller: ClusterRoleAggregationController;
  beforeAll(async () => {
    c = await testCluster();
    controller = new ClusterRoleAggregationController({ store: c.store, registry: c.registry, logger: pino({ level: 'silent' }) });
    await controller.start();
  });
  afterAll(async () => {
    controller?.stop();
    await c?.close();
  });
  const rulesOf = async (name: string) => ((await c.registry.get(CLUSTER_ROLES, undefined, name)) as ClusterRole).rules ?? [];

  it('fills an aggregated role, chains aggregation (view into edit), and follows changes and deletes', async () => {
    await c.registry.create(CLUSTER_ROLES, undefined, role('edit', {}, undefined, { 'agg-edit': 'true' }) as KubeObject);
    await c.registry.create(CLUSTER_ROLES, undefined, role('view', { 'agg-edit': 'true' }, undefined, { 'agg-view': 'true' }) as KubeObject);
    await c.registry.create(CLUSTER_ROLES, undefined, role('pods-get', { 'agg-view': 'true' }, [get]) as KubeObject);
    await waitFor('view aggregated', async () => (await rulesOf('view')).length === 1);
    await waitFor('edit has view rules', async () => (await rulesOf('edit')).length === 1);
    const extra = (await c.registry.get(CLUSTER_ROLES, undefined, 'pods-get')) as ClusterRole & KubeObject;
    await c.registry.update(CLUSTER_ROLES, undefined, 'pods-get', { ...extra, rules: [get, list] } as KubeObject);
    await waitFor('edit follows the change', async () => (await rulesOf('edit')).length === 2);
    expect(await rulesOf('view')).toEqual([get, list]);
    await c.registry.delete(CLUSTER_ROLES, undefined, 'pods-get');
    await waitFor('view emptied', async () => (await rulesOf('view')).length === 0);
    await waitFor('edit emptied', async () => (await rulesOf('edit')).length === 0);
  });
});
