/**
 * Pods and their latest usage, as the replica calculator wants them for one resource: request
 * and usage summed over the containers, in cores (cpu) or bytes (memory).
 */
import { isRecord, recordList, type KubeObject } from '../../api/object.ts';
import { parseQuantity } from '../../api/quantity.ts';
import type { PodUsage } from '../../metrics/types.ts';
import { isReady } from '../controller-kit/pods.ts';
import type { ResourceName } from './hpa-spec.ts';
import type { PodResourceSample } from './replica-calculator.ts';

function podRequest(pod: KubeObject, resource: ResourceName): number | undefined {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  let total = 0;
  for (const c of recordList(spec, 'containers')) {
    const resources = isRecord(c.resources) ? c.resources : {};
    const requests = isRecord(resources.requests) ? resources.requests : {};
    const q = parseQuantity(requests[resource]);
    if (q === undefined) return undefined;
    total += q;
  }
  return total;
}

function podUsage(usage: PodUsage | undefined, resource: ResourceName): number | undefined {
  if (!usage || usage.containers.length === 0) return undefined;
  let total = 0;
  for (const c of usage.containers) total += resource === 'cpu' ? c.cpuNanoCores / 1e9 : c.memoryBytes;
  return total;
}

/** One sample per pod; `usageOf` gives a pod's latest usage (undefined when it has none). */
export function podSamples(pods: readonly KubeObject[], resource: ResourceName, usageOf: (pod: KubeObject) => PodUsage | undefined): PodResourceSample[] {
  return pods.map((pod) => {
    const phase = isRecord(pod.status) ? pod.status.phase : undefined;
    return { name: pod.metadata?.name ?? '', pending: phase === 'Pending' || phase === undefined, ready: isReady(pod), request: podRequest(pod, resource), usage: podUsage(usageOf(pod), resource) };
  });
}
