import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../object.ts';
import { applyLimitRangeDefaults, defaultLimitRange, LIMIT_RANGER_ANNOTATION, validateClaimLimits, validatePodLimits } from './limit-range.ts';

function limitRange(limits: Record<string, unknown>[]): KubeObject {
  const lr: KubeObject = { metadata: { name: 'lr' }, spec: { limits } };
  defaultLimitRange(lr);
  return lr;
}

function pod(containers: Record<string, unknown>[], initContainers: Record<string, unknown>[] = []): KubeObject {
  return { metadata: { name: 'p' }, spec: { containers, ...(initContainers.length ? { initContainers } : {}) } };
}

const c = (name: string, requests?: Record<string, string>, limits?: Record<string, string>) => ({
  name,
  image: 'busybox',
  ...(requests || limits ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } } : {}),
});

describe('LimitRange defaulting (SetDefaults_LimitRangeItem)', () => {
  it('takes default from max and defaultRequest from default, then min', () => {
    const lr = limitRange([{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }]);
    expect(lr.spec).toEqual({ limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' }, default: { cpu: '2' }, defaultRequest: { cpu: '2', memory: '64Mi' } }] });
  });
});

describe('LimitRanger mutation', () => {
  it('fills unstated requests and limits of containers and init containers and notes it', () => {
    const lr = limitRange([{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '250m' } }]);
    const p = pod([c('web', { memory: '64Mi' }), c('side', undefined, { cpu: '1' })], [c('init')]);
    applyLimitRangeDefaults(lr, p);
    expect(p.spec).toEqual({
      containers: [
        { ...c('web'), resources: { requests: { memory: '64Mi', cpu: '250m' }, limits: { cpu: '500m', memory: '256Mi' } } },
        { ...c('side'), resources: { limits: { cpu: '1', memory: '256Mi' }, requests: { cpu: '250m', memory: '256Mi' } } },
      ],
      initContainers: [{ ...c('init'), resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '256Mi' } } }],
    });
    expect(p.metadata?.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe(
      'LimitRanger plugin set: cpu request for container web; cpu, memory limit for container web; cpu, memory request for container side; memory limit for container side; cpu, memory request for init container init; cpu, memory limit for init container init',
    );
  });

  it('leaves a pod that states everything alone', () => {
    const lr = limitRange([{ type: 'Container', default: { cpu: '1' } }]);
    const p = pod([c('web', { cpu: '1' }, { cpu: '1' })]);
    applyLimitRangeDefaults(lr, p);
    expect(p.metadata?.annotations).toBeUndefined();
  });
});

describe('LimitRanger validation (Kubernetes\' messages)', () => {
  it.each([
    [[{ type: 'Container', max: { cpu: '1' } }], [c('c', { cpu: '500m' }, { cpu: '2' })], 'maximum cpu usage per Container is 1, but limit is 2'],
    [[{ type: 'Container', max: { memory: '1Gi' } }], [c('c', { memory: '1Gi' }, { memory: '1.5Gi' })], 'maximum memory usage per Container is 1Gi, but limit is 1536Mi'],
    [[{ type: 'Container', max: { cpu: '800m' } }], [c('c', { cpu: '100m' })], 'maximum cpu usage per Container is 800m.  No limit is specified'],
    [[{ type: 'Container', min: { cpu: '200m' } }], [c('c', { cpu: '100m' }, { cpu: '1' })], 'minimum cpu usage per Container is 200m, but request is 100m'],
    [[{ type: 'Container', min: { memory: '500Mi' } }], [c('c')], 'minimum memory usage per Container is 500Mi.  No request is specified'],
    [[{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }], [c('c', { cpu: '250m' }, { cpu: '1' })], 'cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000'],
    [[{ type: 'Container', maxLimitRequestRatio: { memory: '2' } }], [c('c', undefined, { memory: '1Gi' })], 'memory max limit to request ratio per Container is 2, but no request is specified or request is 0'],
    [[{ type: 'Pod', max: { cpu: '1' } }], [c('a', { cpu: '600m' }, { cpu: '600m' }), c('b', { cpu: '600m' }, { cpu: '600m' })], 'maximum cpu usage per Pod is 1, but limit is 1200m'],
    [
      [{ type: 'Container', max: { cpu: '1', memory: '1Gi' } }],
      [c('c', { cpu: '1', memory: '1Gi' }, { cpu: '2', memory: '2Gi' })],
      '[maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]',
    ],
  ] as [Record<string, unknown>[], Record<string, unknown>[], string][])('%#: %s', (limits, containers, message) => {
    // Validation sees the pod as admission leaves it: defaults first.
    const lr: KubeObject = { metadata: { name: 'lr' }, spec: { limits } };
    expect(validatePodLimits(lr, pod(containers))).toBe(message);
  });

  it('admits a pod within every bound', () => {
    const lr = limitRange([{ type: 'Container', min: { cpu: '100m' }, max: { cpu: '1' }, maxLimitRequestRatio: { cpu: '4' } }]);
    const p = pod([c('c', { cpu: '250m' }, { cpu: '1' })]);
    applyLimitRangeDefaults(lr, p);
    expect(validatePodLimits(lr, p)).toBeUndefined();
  });

  it('holds claims to min and max of what they request, skipping an unchanged request on update', () => {
    const lr = limitRange([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } }]);
    const claim = (size: string): KubeObject => ({ metadata: { name: 'c' }, spec: { resources: { requests: { storage: size } } } });
    expect(validateClaimLimits(lr, claim('5Gi'))).toBe('maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi');
    expect(validateClaimLimits(lr, claim('500Mi'))).toBe('minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
    expect(validateClaimLimits(lr, claim('1Gi'))).toBeUndefined();
    expect(validateClaimLimits(lr, claim('5Gi'), claim('5Gi'))).toBeUndefined();
  });
});
