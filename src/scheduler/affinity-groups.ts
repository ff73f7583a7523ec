/**
 * The placed pods that carry pod affinity or anti-affinity, grouped by namespace and terms (a
 * workload's replicas share one group) and counted per node: what InterPodAffinity reads for
 * the existing pods' side (kube-scheduler's PodsWithAffinity / PodsWithRequiredAntiAffinity per
 * NodeInfo). A decision walks the groups, not the pods: 10,000 replicas of one Deployment with
 * anti-affinity are one group.
 */
import { isRecord, type JsonObject, type KubeObject } from '../api/object.ts';
import type { AffinityGroup } from './types.ts';

interface Group extends AffinityGroup {
  perNode: Map<string, number>;
  size: number;
}

/** `spec.affinity`'s podAffinity and podAntiAffinity, or undefined when the pod has neither. */
export function podAffinityOf(pod: KubeObject): JsonObject | undefined {
  const affinity = isRecord(pod.spec) && isRecord(pod.spec.affinity) ? pod.spec.affinity : undefined;
  if (!affinity || (!isRecord(affinity.podAffinity) && !isRecord(affinity.podAntiAffinity))) return undefined;
  const picked: JsonObject = {};
  if (isRecord(affinity.podAffinity)) picked.podAffinity = affinity.podAffinity;
  if (isRecord(affinity.podAntiAffinity)) picked.podAntiAffinity = affinity.podAntiAffinity;
  return picked;
}

export class AffinityGroups {
  private readonly groups = new Map<string, Group>();

  /** The group key of a pod (undefined: no pod affinity). */
  keyOf(pod: KubeObject): string | undefined {
    const affinity = podAffinityOf(pod);
    return affinity ? `${pod.metadata?.namespace ?? ''}\u0000${JSON.stringify(affinity)}` : undefined;
  }

  apply(key: string, pod: KubeObject, nodeName: string, sign: 1 | -1): void {
    let group = this.groups.get(key);
    if (!group) {
      if (sign < 0) return;
      group = { namespace: pod.metadata?.namespace ?? '', affinity: podAffinityOf(pod) ?? {}, perNode: new Map(), size: 0 };
      this.groups.set(key, group);
    }
    const next = (group.perNode.get(nodeName) ?? 0) + sign;
    if (next <= 0) group.perNode.delete(nodeName);
    else group.perNode.set(nodeName, next);
    group.size += sign;
    if (group.size <= 0) this.groups.delete(key);
  }

  values(): Iterable<AffinityGroup> {
    return this.groups.values();
  }
}
