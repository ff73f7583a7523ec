import { describe, expect, it } from 'vitest';
import { matchType, qualifiedKind, resourcePath, splitApiVersion, type ApiResource } from './discovery.ts';

function res(group: string, version: string, name: string, kind: string, shortNames: string[] = [], preferred = true, namespaced = true): ApiResource {
  return { group, version, name, singularName: kind.toLowerCase(), kind, namespaced, shortNames, verbs: [], categories: [], preferred };
}

const resources = [
  res('', 'v1', 'pods', 'Pod', ['po']),
  res('', 'v1', 'namespaces', 'Namespace', ['ns'], true, false),
  res('', 'v1', 'events', 'Event', ['ev']),
  res('apps', 'v1', 'deployments', 'Deployment', ['deploy']),
  res('autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', ['hpa'], false),
  res('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', ['hpa']),
  res('events.k8s.io', 'v1', 'events', 'Event', ['ev']),
];

describe('matchType', () => {
  it('accepts plural, singular, short name and kind in any case', () => {
    for (const typed of ['pods', 'pod', 'po', 'Pod', 'PODS']) expect(matchType(resources, typed)?.name).toBe('pods');
    expect(matchType(resources, 'deploy')?.group).toBe('apps');
  });

  it('prefers the core group and the preferred version; a .group suffix picks the group', () => {
    expect(matchType(resources, 'events')?.group).toBe('');
    expect(matchType(resources, 'events.events.k8s.io')?.group).toBe('events.k8s.io');
    expect(matchType(resources, 'hpa')?.version).toBe('v2');
    expect(matchType(resources, 'deployments.apps')?.kind).toBe('Deployment');
    expect(matchType(resources, 'frobs')).toBeUndefined();
  });
});

describe('paths and names', () => {
  it('builds core, group, namespaced and cluster-scoped paths', () => {
    expect(resourcePath(resources[0]!, 'default', 'x')).toBe('/api/v1/namespaces/default/pods/x');
    expect(resourcePath(resources[0]!, undefined)).toBe('/api/v1/pods');
    expect(resourcePath(resources[1]!, 'ignored', 'kube-system')).toBe('/api/v1/namespaces/kube-system');
    expect(resourcePath(resources[3]!, 'team')).toBe('/apis/apps/v1/namespaces/team/deployments');
  });

  it('names kinds as kubectl prints them', () => {
    expect(qualifiedKind(resources[0]!)).toBe('pod');
    expect(qualifiedKind(resources[3]!)).toBe('deployment.apps');
    expect(splitApiVersion('apps/v1')).toEqual({ group: 'apps', version: 'v1' });
    expect(splitApiVersion('v1')).toEqual({ group: '', version: 'v1' });
  });
});
