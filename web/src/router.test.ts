import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute, withNamespace, type Route } from './router.ts';

describe('routes', () => {
  const routes: Route[] = [
    { page: 'overview' },
    { page: 'overview', namespace: 'team-a' },
    { page: 'list', resource: 'pods' },
    { page: 'list', resource: 'pods', namespace: 'kube-system' },
    { page: 'object', resource: 'pods', namespace: 'default', name: 'web-1' },
    { page: 'object', resource: 'nodes', name: 'node/1' },
    { page: 'live' },
    { page: 'live', namespace: 'default', kind: 'Pod' },
    { page: 'machines' },
  ];

  it.each(routes)('round-trips %j', (r) => {
    expect(parseRoute(formatRoute(r))).toEqual(r);
  });

  it('sends anything unknown to the overview', () => {
    expect(parseRoute('')).toEqual({ page: 'overview' });
    expect(parseRoute('#/object/pods/x')).toEqual({ page: 'overview' });
    expect(parseRoute('#/nowhere')).toEqual({ page: 'overview' });
  });

  it('moves the namespaced pages to another namespace, or to all', () => {
    expect(withNamespace({ page: 'overview' }, 'team-a')).toEqual({ page: 'overview', namespace: 'team-a' });
    expect(withNamespace({ page: 'list', resource: 'pods', namespace: 'team-a' }, undefined)).toEqual({ page: 'list', resource: 'pods' });
    expect(withNamespace({ page: 'live', kind: 'Pod' }, 'b')).toEqual({ page: 'live', kind: 'Pod', namespace: 'b' });
    const object: Route = { page: 'object', resource: 'pods', namespace: 'a', name: 'p' };
    expect(withNamespace(object, 'b')).toBe(object);
  });
});
