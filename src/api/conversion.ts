/**
 * Versions served by conversion: a resource can be served in a version other than the one its
 * objects are stored in (kinds.ts `storageVersion`); requests in that version are converted to
 * the stored one on the way in and back on the way out, as Kubernetes' conversion functions do.
 *
 * autoscaling/v1 HorizontalPodAutoscaler ⇄ autoscaling/v2 (Kubernetes' rules): v1's
 * `targetCPUUtilizationPercentage` is v2's CPU `Utilization` Resource metric and
 * `currentCPUUtilizationPercentage` its current value; what v1 cannot say (other metrics,
 * behavior, conditions, other current metrics) travels in the `autoscaling.alpha.kubernetes.io/*`
 * annotations of the v1 object, so a v1 read-modify-write keeps it.
 */
import type { HorizontalPodAutoscaler as HpaV2, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.d.ts';
import type { HorizontalPodAutoscaler as HpaV1 } from 'kubernetes-types/autoscaling/v1.d.ts';
import { apiVersionOf, type ResourceInfo } from './kinds.ts';
import type { KubeObject } from './object.ts';
import { ApiError } from './status.ts';

const METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_METRICS = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
const BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';

interface Converter {
  toStored(obj: KubeObject): KubeObject;
  fromStored(obj: KubeObject): KubeObject;
}

const isCpuUtilization = (m: MetricSpec): boolean => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization';
const isCpuCurrent = (m: MetricStatus): boolean => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current.averageUtilization !== undefined;

/** An annotation holding JSON (400 naming it when it does not parse). */
function fromAnnotation<T>(annotations: Record<string, string>, key: string): T | undefined {
  const text = annotations[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw ApiError.badRequest(`metadata.annotations[${key}]: not valid JSON`);
  }
}

const hpaV1: Converter = {
  toStored(obj) {
    const v1 = obj as HpaV1 & KubeObject;
    const annotations = { ...(v1.metadata?.annotations ?? {}) };
    const metrics: MetricSpec[] = [];
    const target = v1.spec?.targetCPUUtilizationPercentage;
    if (target !== undefined && target !== null) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } });
    metrics.push(...(fromAnnotation<MetricSpec[]>(annotations, METRICS) ?? []));
    const behavior = fromAnnotation<NonNullable<HpaV2['spec']>['behavior']>(annotations, BEHAVIOR);
    const current: MetricStatus[] = [];
    const cpuNow = v1.status?.currentCPUUtilizationPercentage;
    if (cpuNow !== undefined && cpuNow !== null) current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cpuNow } } });
    current.push(...(fromAnnotation<MetricStatus[]>(annotations, CURRENT_METRICS) ?? []));
    const conditions = fromAnnotation<NonNullable<HpaV2['status']>['conditions']>(annotations, CONDITIONS);
    for (const key of [METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR]) delete annotations[key];

    const { targetCPUUtilizationPercentage: _target, ...spec } = v1.spec ?? { maxReplicas: 0, scaleTargetRef: { kind: '', name: '' } };
    const v2: KubeObject = {
      ...v1,
      apiVersion: 'autoscaling/v2',
      metadata: { ...v1.metadata, annotations },
      spec: { ...spec, ...(metrics.length ? { metrics } : {}), ...(behavior ? { behavior } : {}) },
    };
    if (Object.keys(annotations).length === 0) delete (v2.metadata as { annotations?: unknown }).annotations;
    if (v1.status) {
      const { currentCPUUtilizationPercentage: _cpu, ...status } = v1.status;
      v2.status = { ...status, ...(current.length ? { currentMetrics: current } : {}), ...(conditions ? { conditions } : {}) };
    }
    return v2;
  },
  fromStored(obj) {
    const v2 = obj as HpaV2 & KubeObject;
    const annotations = { ...(v2.metadata?.annotations ?? {}) };
    const { metrics = [], behavior, ...spec } = v2.spec ?? { maxReplicas: 0, scaleTargetRef: { kind: '', name: '' } };
    const cpu = metrics.find(isCpuUtilization);
    const others = metrics.filter((m) => m !== cpu);
    if (others.length) annotations[METRICS] = JSON.stringify(others);
    if (behavior) annotations[BEHAVIOR] = JSON.stringify(behavior);
    const v1: KubeObject = {
      ...v2,
      apiVersion: 'autoscaling/v1',
      spec: { ...spec, ...(cpu ? { targetCPUUtilizationPercentage: cpu.resource!.target.averageUtilization } : {}) },
    };
    if (v2.status) {
      const { currentMetrics = [], conditions, ...status } = v2.status;
      const cpuNow = currentMetrics.find(isCpuCurrent);
      const otherNow = currentMetrics.filter((m) => m !== cpuNow);
      if (otherNow.length) annotations[CURRENT_METRICS] = JSON.stringify(otherNow);
      if (conditions?.length) annotations[CONDITIONS] = JSON.stringify(conditions);
      v1.status = { ...status, ...(cpuNow ? { currentCPUUtilizationPercentage: cpuNow.resource!.current.averageUtilization } : {}) };
    }
    v1.metadata = { ...v2.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) };
    return v1;
  },
};

const CONVERTERS: Record<string, Converter> = {
  'autoscaling/v1/HorizontalPodAutoscaler': hpaV1,
};

function converterFor(info: ResourceInfo): Converter {
  const converter = CONVERTERS[`${apiVersionOf(info)}/${info.kind}`];
  if (!converter) throw ApiError.internal(`no conversion for ${apiVersionOf(info)} ${info.kind}`);
  return converter;
}

/** An object sent in `info`'s version, in its stored version (type meta included). */
export function toStoredVersion(info: ResourceInfo, obj: KubeObject): KubeObject {
  return converterFor(info).toStored(obj);
}

/** A stored object as `info`'s version shows it. */
export function fromStoredVersion(info: ResourceInfo, obj: KubeObject): KubeObject {
  return converterFor(info).fromStored(obj);
}
