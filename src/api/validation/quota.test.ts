import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../field.ts';
import { defaultLimitRange } from '../quota/limit-range.ts';
import type { KubeObject } from '../object.ts';
import { validateLimitRange, validateResourceQuota } from './quota.ts';

const messages = (errs: ReturnType<typeof validateResourceQuota>) => errs.map(fieldErrorString);

describe('ResourceQuota validation', () => {
  it.each([
    [{ hard: { pods: '-1' } }, ['spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0']],
    [{ hard: { services: '1500m' } }, ['spec.hard[services]: Invalid value: "1500m": must be an integer']],
    [{ hard: { pods: '10', 'requests.cpu': '2' }, scopes: ['BestEffort'] }, ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource']],
    [{ hard: { pods: '10' }, scopes: ['Terminating', 'NotTerminating'] }, ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating", "NotTerminating"}: conflicting scopes']],
    [{ hard: { pods: '10' }, scopes: ['Weekend'] }, ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"Weekend"}: unsupported scope']],
    [{ hard: { pods: '10', 'requests.cpu': '1', 'count/deployments.apps': '2' }, scopes: ['NotBestEffort'] }, []],
  ] as [Record<string, unknown>, string[]][])('%j', (spec, expected) => {
    expect(messages(validateResourceQuota({ spec }))).toEqual(expected);
  });
});

describe('LimitRange validation (after its defaults)', () => {
  const check = (limits: Record<string, unknown>[]): string[] => {
    const lr: KubeObject = { spec: { limits } };
    defaultLimitRange(lr);
    return messages(validateLimitRange(lr));
  };
  it.each([
    [[{ type: 'Container', min: { cpu: '400m' }, max: { cpu: '200m' } }], [
      'spec.limits[0].min[cpu]: Invalid value: "400m": min value 400m is greater than max value 200m',
      'spec.limits[0].defaultRequest[cpu]: Invalid value: "200m": min value 400m is greater than default request value 200m',
      'spec.limits[0].default[cpu]: Invalid value: "400m": min value 400m is greater than default value 200m',
    ]],
    [[{ type: 'Container', default: { memory: '1Gi' }, defaultRequest: { memory: '2Gi' } }], ['spec.limits[0].defaultRequest[memory]: Invalid value: "2Gi": default request value 2Gi is greater than default limit value 1Gi']],
    [[{ type: 'Pod', default: { cpu: '1' } }], ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"]],
    [[{ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }], ['spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1']],
    [[{ type: 'Container', min: { cpu: '100m' }, max: { cpu: '200m' }, maxLimitRequestRatio: { cpu: '4' } }], ['spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "4": ratio 4 is greater than max/min = 2.000000']],
    [[{ type: 'PersistentVolumeClaim', max: { cpu: '1' } }], ['spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided']],
    [[{ type: 'Container' }, { type: 'Container' }], ['spec.limits[1].type: Duplicate value: "Container"']],
    [[{ type: 'Node' }], ['spec.limits[0].type: Invalid value: "Node": must be a standard limit type or fully qualified']],
    [[{ type: 'Container', max: { cpu: '1' }, min: { cpu: '100m' } }, { type: 'PersistentVolumeClaim', min: { storage: '1Gi' } }], []],
  ] as [Record<string, unknown>[], string[]][])('%#', (limits, expected) => {
    expect(check(limits)).toEqual(expected);
  });
});
