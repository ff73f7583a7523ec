import { describe, expect, it } from 'vitest';
import { fromStoredVersion, toStoredVersion } from './conversion.ts';
import { findResource } from './kinds.ts';
import type { KubeObject } from './object.ts';
import { ApiError } from './status.ts';

const V1 = findResource('autoscaling', 'v1', 'horizontalpodautoscalers')!;
const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } };
const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
const condition = { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', lastTransitionTime: '2026-11-23T10:00:00Z' };

describe('autoscaling/v1 ⇄ v2 HorizontalPodAutoscaler', () => {
  it('v2 → v1 → v2 keeps everything, what v1 cannot hold in annotations', () => {
    const v2: KubeObject = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'default', annotations: { team: 'x' } },
      spec: { scaleTargetRef: target, minReplicas: 1, maxReplicas: 5, metrics: [memory, cpu], behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
      status: {
        currentReplicas: 2,
        desiredReplicas: 3,
        currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 55 } } }, { type: 'Resource', resource: { name: 'memory', current: { averageValue: '80Mi' } } }],
        conditions: [condition],
      },
    };
    const v1 = fromStoredVersion(V1, v2);
    expect(v1).toMatchObject({
      apiVersion: 'autoscaling/v1',
      spec: { scaleTargetRef: target, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
      status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 55 },
    });
    expect(v1.spec).not.toHaveProperty('metrics');
    expect(Object.keys(v1.metadata!.annotations!).sort()).toEqual([
      'autoscaling.alpha.kubernetes.io/behavior',
      'autoscaling.alpha.kubernetes.io/conditions',
      'autoscaling.alpha.kubernetes.io/current-metrics',
      'autoscaling.alpha.kubernetes.io/metrics',
      'team',
    ]);
    // The CPU metric comes first after a round trip (as in Kubernetes); everything else is kept.
    const back = toStoredVersion(V1, v1);
    expect(back).toEqual({ ...v2, spec: { ...(v2.spec as object), metrics: [cpu, memory] } });
  });

  it('v1 → v2 → v1 is the identity; no target means no metric (v2 defaults it to CPU 80%)', () => {
    const v1: KubeObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: target, maxReplicas: 3, targetCPUUtilizationPercentage: 50 } };
    expect(fromStoredVersion(V1, toStoredVersion(V1, v1))).toEqual(v1);
    const bare = { ...v1, spec: { scaleTargetRef: target, maxReplicas: 3 } };
    expect(toStoredVersion(V1, bare).spec).toEqual({ scaleTargetRef: target, maxReplicas: 3 });
    expect(fromStoredVersion(V1, toStoredVersion(V1, bare))).toEqual(bare);
  });

  it('an annotation that is not JSON is a 400 naming it', () => {
    const v1: KubeObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', annotations: { 'autoscaling.alpha.kubernetes.io/metrics': '[{' } }, spec: { scaleTargetRef: target, maxReplicas: 3 } };
    const err = (() => {
      try {
        toStoredVersion(V1, v1);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toContain('autoscaling.alpha.kubernetes.io/metrics');
  });
});
