import type { PolicyRule } from 'kubernetes-types/rbac/v1.d.ts';
import { describe, expect, it } from 'vitest';
import { breakdownRule, compactRules, compactString, covers } from './covers.ts';

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({ verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}) });

describe('Covers (escalation prevention)', () => {
  it.each<[string, PolicyRule[], PolicyRule[], boolean]>([
    ['the same rule', [rule(['get'], [''], ['pods'])], [rule(['get'], [''], ['pods'])], true],
    ['more verbs than held', [rule(['get'], [''], ['pods'])], [rule(['get', 'list'], [''], ['pods'])], false],
    ['split across owner rules', [rule(['get'], [''], ['pods']), rule(['list'], [''], ['pods'])], [rule(['get', 'list'], [''], ['pods'])], true],
    ['* on everything covers anything', [rule(['*'], ['*'], ['*'])], [rule(['create'], ['apps'], ['deployments/scale'], ['x'])], true],
    ['*/scale covers deployments/scale', [rule(['get'], ['apps'], ['*/scale'])], [rule(['get'], ['apps'], ['deployments/scale'])], true],
    ['a resource does not cover its subresource', [rule(['get'], [''], ['pods'])], [rule(['get'], [''], ['pods/log'])], false],
    ['a named owner rule does not cover every name', [rule(['get'], [''], ['secrets'], ['a'])], [rule(['get'], [''], ['secrets'])], false],
    ['an unnamed owner rule covers a name', [rule(['get'], [''], ['secrets'])], [rule(['get'], [''], ['secrets'], ['a'])], true],
    ['URL prefix', [{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/apis/apps'] }], true],
    ['URL not held', [{ verbs: ['get'], nonResourceURLs: ['/api'] }], [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }], false],
    ['resource rules do not cover URLs', [rule(['*'], ['*'], ['*'])], [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }], false],
  ])('%s', (_n, owner, servant, covered) => {
    expect(covers(owner, servant).covered).toBe(covered);
  });

  it('breaks rules down and names what is missing as Kubernetes prints it', () => {
    expect(breakdownRule(rule(['get', 'list'], ['', 'apps'], ['x']))).toHaveLength(4);
    const { missing } = covers([rule(['get'], [''], ['pods'])], [rule(['get', 'list', 'watch'], [''], ['pods', 'secrets'])]);
    expect(compactRules(missing).map(compactString).sort()).toEqual(['{APIGroups:[""], Resources:["pods"], Verbs:["list" "watch"]}', '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list" "watch"]}']);
    expect(compactString({ verbs: ['get'], nonResourceURLs: ['/metrics'] })).toBe('{NonResourceURLs:["/metrics"], Verbs:["get"]}');
  });
});
