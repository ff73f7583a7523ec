/**
 * An autoscaling/v2 HorizontalPodAutoscaler's spec, read into what the controller uses: the
 * scale target, replica bounds, the Resource metrics (cpu / memory, Utilization or AverageValue)
 * and the stabilization windows. Other metric types (Pods, Object, External, ContainerResource)
 * are reported as unsupported rather than silently ignored.
 */
import { isRecord, recordList, type JsonObject, type KubeObject } from '../../api/object.ts';
import { parseQuantity } from '../../api/quantity.ts';

export type ResourceName = 'cpu' | 'memory';

/** One Resource metric target. */
export type ResourceTarget =
  | { resource: ResourceName; type: 'Utilization'; averageUtilization: number }
  /** `averageValue` in base units: cores for cpu, bytes for memory. */
  | { resource: ResourceName; type: 'AverageValue'; averageValue: number };

export interface HpaSpec {
  target: { apiVersion: string; kind: string; name: string };
  minReplicas: number;
  maxReplicas: number;
  metrics: ResourceTarget[];
  /** Metric entries this controller cannot evaluate (their `type`, or `Resource/<name>`). */
  unsupported: string[];
  scaleUpStabilizationSeconds: number;
  scaleDownStabilizationSeconds: number;
}

/** Kubernetes' defaults when `spec.behavior` leaves them out. */
export const DEFAULT_SCALE_UP_STABILIZATION_SECONDS = 0;
export const DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS = 300;

function resourceTarget(m: JsonObject): ResourceTarget | undefined {
  const res = isRecord(m.resource) ? m.resource : {};
  const name = res.name;
  const target = isRecord(res.target) ? res.target : {};
  if (name !== 'cpu' && name !== 'memory') return undefined;
  if (target.type === 'Utilization' && typeof target.averageUtilization === 'number') return { resource: name, type: 'Utilization', averageUtilization: target.averageUtilization };
  const value = parseQuantity(target.averageValue);
  if (target.type === 'AverageValue' && value !== undefined && value > 0) return { resource: name, type: 'AverageValue', averageValue: value };
  return undefined;
}

function stabilization(behavior: unknown, direction: 'scaleUp' | 'scaleDown', fallback: number): number {
  const rules = isRecord(behavior) && isRecord(behavior[direction]) ? behavior[direction] : {};
  return typeof rules.stabilizationWindowSeconds === 'number' ? rules.stabilizationWindowSeconds : fallback;
}

export function hpaSpec(hpa: KubeObject): HpaSpec {
  const spec = isRecord(hpa.spec) ? hpa.spec : {};
  const ref = isRecord(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
  const metrics: ResourceTarget[] = [];
  const unsupported: string[] = [];
  for (const m of recordList(spec, 'metrics')) {
    const t = m.type === 'Resource' ? resourceTarget(m) : undefined;
    if (t) metrics.push(t);
    else unsupported.push(m.type === 'Resource' && isRecord(m.resource) ? `Resource/${String(m.resource.name)}` : String(m.type));
  }
  return {
    target: { apiVersion: String(ref.apiVersion ?? ''), kind: String(ref.kind ?? ''), name: String(ref.name ?? '') },
    minReplicas: typeof spec.minReplicas === 'number' ? spec.minReplicas : 1,
    maxReplicas: typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 1,
    metrics,
    unsupported,
    scaleUpStabilizationSeconds: stabilization(spec.behavior, 'scaleUp', DEFAULT_SCALE_UP_STABILIZATION_SECONDS),
    scaleDownStabilizationSeconds: stabilization(spec.behavior, 'scaleDown', DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS),
  };
}
