import { describe, expect, it } from 'vitest';
import { allResources, apiVersionOf, findKind, findResource, groupVersions, qualifiedKind, qualifiedResource, storedResource } from './kinds.ts';

describe('resource registry', () => {
  it.each([
    ['', 'v1', 'pods', 'Pod', ['po'], ['all'], ['status', 'binding'], true],
    ['', 'v1', 'namespaces', 'Namespace', ['ns'], [], ['status'], false],
    ['', 'v1', 'nodes', 'Node', ['no'], [], ['status'], false],
    ['', 'v1', 'secrets', 'Secret', [], [], [], true],
    ['', 'v1', 'replicationcontrollers', 'ReplicationController', ['rc'], ['all'], ['status', 'scale'], true],
    ['apps', 'v1', 'deployments', 'Deployment', ['deploy'], ['all'], ['status', 'scale'], true],
    ['apps', 'v1', 'daemonsets', 'DaemonSet', ['ds'], ['all'], ['status'], true],
    ['apps', 'v1', 'controllerrevisions', 'ControllerRevision', [], [], [], true],
    ['batch', 'v1', 'cronjobs', 'CronJob', ['cj'], ['all'], ['status'], true],
    ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', ['hpa'], ['all'], ['status'], true],
    ['coordination.k8s.io', 'v1', 'leases', 'Lease', [], [], [], true],
    ['events.k8s.io', 'v1', 'events', 'Event', ['ev'], [], [], true],
    ['discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', [], [], [], true],
  ])('%s/%s %s', (group, version, resource, kind, shortNames, categories, subresources, namespaced) => {
    const info = findResource(group, version, resource);
    expect(info).toMatchObject({ kind, shortNames, categories, subresources, namespaced, listKind: `${kind}List`, singular: kind.toLowerCase() });
    expect(findKind(apiVersionOf({ group, version }), kind)).toBe(info);
  });

  it('lists the Kubernetes verbs (namespaces lack deletecollection)', () => {
    expect(findResource('', 'v1', 'pods')?.verbs).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    expect(findResource('', 'v1', 'namespaces')?.verbs).not.toContain('deletecollection');
  });

  it('groups resources for discovery, core first', () => {
    const gvs = groupVersions();
    expect(gvs.map((g) => g.groupVersion)).toEqual(['v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'autoscaling/v1', 'coordination.k8s.io/v1', 'events.k8s.io/v1', 'discovery.k8s.io/v1', 'storage.k8s.io/v1', 'scheduling.k8s.io/v1', 'rbac.authorization.k8s.io/v1', 'authentication.k8s.io/v1', 'authorization.k8s.io/v1']);
    expect(gvs.reduce((n, g) => n + g.resources.length, 0)).toBe(allResources().length);
  });

  it('names resources and kinds as Kubernetes messages do', () => {
    const deploy = findResource('apps', 'v1', 'deployments');
    expect(deploy && qualifiedResource(deploy)).toBe('deployments.apps');
    expect(deploy && qualifiedKind(deploy)).toBe('Deployment.apps');
    expect(qualifiedResource({ group: '', resource: 'pods' })).toBe('pods');
  });

  it('serves autoscaling/v1 HPAs from the objects stored as v2', () => {
    const v1 = findResource('autoscaling', 'v1', 'horizontalpodautoscalers')!;
    expect(storedResource(v1)).toBe(findResource('autoscaling', 'v2', 'horizontalpodautoscalers'));
    expect(storedResource(findResource('', 'v1', 'pods')!)).toBe(findResource('', 'v1', 'pods'));
  });

  it('answers undefined for what it does not serve', () => {
    expect(findResource('apps', 'v1beta1', 'deployments')).toBeUndefined();
    expect(findKind('v1', 'Deployment')).toBeUndefined();
  });
});
