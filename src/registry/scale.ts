/**
 * The /scale subresource: an autoscaling/v1 Scale view of a scalable object's spec.replicas,
 * status.replicas and selector (as a label-selector string, the way HPAs and kubectl read it).
 */
import type { ResourceInfo } from '../api/kinds.ts';
import { isRecord, type JsonObject, type KubeObject } from '../api/object.ts';
import { LabelSelector, type LabelSelectorObject } from '../api/selectors.ts';
import type { Scale } from './types.ts';

/** The Scale of `obj`. */
export function toScale(obj: KubeObject): Scale {
  const meta = obj.metadata ?? {};
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  const scale: Scale = {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0 },
  };
  const selector = selectorString(spec.selector);
  if (selector !== undefined) scale.status.selector = selector;
  return scale;
}

/** `obj` with spec.replicas taken from `scale` (a copy; nothing else changes). */
export function withScaleReplicas(obj: KubeObject, scale: KubeObject): KubeObject {
  const out = structuredClone(obj);
  const replicas = isRecord(scale.spec) ? scale.spec.replicas : undefined;
  const spec: JsonObject = isRecord(out.spec) ? out.spec : (out.spec = {});
  spec.replicas = replicas;
  return out;
}

/** Whether the kind serves /scale. */
export function hasScale(info: ResourceInfo): boolean {
  return info.subresources.includes('scale');
}

/**
 * A selector as a string: `matchLabels`/`matchExpressions` for apps kinds, a plain label map for
 * ReplicationControllers.
 */
function selectorString(selector: unknown): string | undefined {
  if (!isRecord(selector)) return undefined;
  const isLabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector;
  return isLabelSelector
    ? LabelSelector.fromObject(selector as LabelSelectorObject).toString()
    : LabelSelector.fromSet(selector as Record<string, string>).toString();
}
