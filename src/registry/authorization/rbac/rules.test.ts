import type { PolicyRule } from 'kubernetes-types/rbac/v1.d.ts';
import { describe, expect, it } from 'vitest';
import { nonResourceURLMatches, resourceMatches, ruleAllows, type RuleRequest } from './rules.ts';

const res = (verb: string, apiGroup: string, resource: string, subresource = '', name = ''): RuleRequest => ({ resourceRequest: true, verb, apiGroup, resource, subresource, name });
const url = (verb: string, path: string): RuleRequest => ({ resourceRequest: false, verb, path });
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({ verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}) });

describe('RBAC rule matching (rbac RuleAllows)', () => {
  it.each<[string, PolicyRule, RuleRequest, boolean]>([
    ['exact verb, group, resource', rule(['get'], [''], ['pods']), res('get', '', 'pods'), true],
    ['another verb', rule(['get'], [''], ['pods']), res('list', '', 'pods'), false],
    ['verb *', rule(['*'], [''], ['pods']), res('deletecollection', '', 'pods'), true],
    ['another group', rule(['get'], [''], ['deployments']), res('get', 'apps', 'deployments'), false],
    ['group *', rule(['get'], ['*'], ['deployments']), res('get', 'apps', 'deployments'), true],
    ['resource *', rule(['get'], ['apps'], ['*']), res('get', 'apps', 'statefulsets'), true],
    ['resource * covers subresources', rule(['get'], [''], ['*']), res('get', '', 'pods', 'log'), true],
    ['a resource does not cover its subresources', rule(['get'], [''], ['pods']), res('get', '', 'pods', 'log'), false],
    ['resource/subresource', rule(['get'], [''], ['pods/log']), res('get', '', 'pods', 'log'), true],
    ['resource/subresource is not the resource', rule(['get'], [''], ['pods/log']), res('get', '', 'pods'), false],
    ['*/subresource', rule(['update'], ['apps'], ['*/scale']), res('update', 'apps', 'deployments', 'scale'), true],
    ['*/subresource, another subresource', rule(['update'], ['apps'], ['*/scale']), res('update', 'apps', 'deployments', 'status'), false],
    ['*/subresource, no subresource', rule(['update'], ['apps'], ['*/scale']), res('update', 'apps', 'deployments'), false],
    ['resourceNames: the name', rule(['get'], [''], ['configmaps'], ['a', 'b']), res('get', '', 'configmaps', '', 'b'), true],
    ['resourceNames: another name', rule(['get'], [''], ['configmaps'], ['a']), res('get', '', 'configmaps', '', 'c'), false],
    ['resourceNames: a list names nothing', rule(['list'], [''], ['configmaps'], ['a']), res('list', '', 'configmaps'), false],
    ['no resourceNames: every name', rule(['get'], [''], ['configmaps']), res('get', '', 'configmaps', '', 'z'), true],
    ['a resource rule never matches a path', rule(['*'], ['*'], ['*']), url('get', '/healthz'), false],
    ['a URL rule never matches a resource', { verbs: ['*'], nonResourceURLs: ['*'] }, res('get', '', 'pods'), false],
    ['URL exact', { verbs: ['get'], nonResourceURLs: ['/version'] }, url('get', '/version'), true],
    ['URL exact, another verb', { verbs: ['get'], nonResourceURLs: ['/version'] }, url('post', '/version'), false],
    ['URL trailing *', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, url('get', '/apis/apps/v1'), true],
    ['URL trailing * needs the prefix', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, url('get', '/apis'), false],
    ['URL *', { verbs: ['*'], nonResourceURLs: ['*'] }, url('delete', '/anything'), true],
    ['URL without * is exact', { verbs: ['get'], nonResourceURLs: ['/api'] }, url('get', '/api/v1'), false],
  ])('%s', (_name, r, request, allowed) => {
    expect(ruleAllows(request, r)).toBe(allowed);
  });

  it('*/sub needs the whole subresource name', () => {
    expect(resourceMatches(rule(['get'], [''], ['*/log']), 'pods/log', 'log')).toBe(true);
    expect(resourceMatches(rule(['get'], [''], ['*/og']), 'pods/log', 'log')).toBe(false);
    expect(nonResourceURLMatches({ verbs: ['get'], nonResourceURLs: ['/healthz*'] }, '/healthz/etcd')).toBe(true);
  });
});
