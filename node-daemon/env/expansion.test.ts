/** `$(VAR)` expansion: cases from Kubernetes' expand_test.go, with the results the kubelet gives. */
import { describe, expect, it } from 'vitest';
import { expand, mappingFor } from './expansion.ts';

const vars = { VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' };
const services = { SVC_HOST: '10.0.0.1', VAR_A: 'shadowed' };

describe('expand', () => {
  it.each([
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_A)', 'A-A'],
    ['$(VAR_A)-1', 'A-1'],
    ['$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
    ['foo\\$(VAR_C)bar', 'foo\\Cbar'],
    ['foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
    ['$$(VAR_B)', '$(VAR_B)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$(VAR_EMPTY)', ''],
    ['$(VAR_REF)', '$(VAR_A)'],
    ['$(VAR_DNE)', '$(VAR_DNE)'],
    ['$(VAR_A', '$(VAR_A'],
    ['$(', '$('],
    ['$', '$'],
    ['$VAR_A', '$VAR_A'],
    ['$1', '$1'],
    ['$()', '$()'],
    ['$(VAR_A)$', 'A$'],
    ['$(SVC_HOST):80', '10.0.0.1:80'],
    ['no refs here', 'no refs here'],
    ['$(VAR_A)$(VAR_DNE)$$', 'A$(VAR_DNE)$'],
  ])('%s → %s', (input, want) => {
    expect(expand(input, mappingFor(vars, services))).toBe(want);
  });

  it('takes the first map that has the name', () => {
    expect(expand('$(VAR_A)', mappingFor(services, vars))).toBe('shadowed');
    expect(expand('$(K)', mappingFor(new Map([['K', 'from a map']])))).toBe('from a map');
  });
});
