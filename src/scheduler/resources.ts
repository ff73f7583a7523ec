/**
 * Resource arithmetic for scheduling: a pod's requests (containers summed, init containers as
 * the max of each, as Kubernetes computes the effective request) and a node's allocatable.
 */
import { isRecord, recordList, type KubeObject } from '../api/object.ts';
import { parseQuantity } from '../api/quantity.ts';

/** cpu in cores, memory in bytes, pods as a count. */
export interface Resources {
  cpu: number;
  memory: number;
  pods: number;
}

/** Requests kube-scheduler assumes for scoring when a container requests nothing (100m, 200Mi). */
const DEFAULT_CPU_REQUEST = 0.1;
const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export const zero = (): Resources => ({ cpu: 0, memory: 0, pods: 0 });

export function add(a: Resources, b: Resources): Resources {
  return { cpu: a.cpu + b.cpu, memory: a.memory + b.memory, pods: a.pods + b.pods };
}

function containerRequests(container: Record<string, unknown>, nonZero: boolean): Resources {
  const resources = isRecord(container.resources) ? container.resources : {};
  const requests = isRecord(resources.requests) ? resources.requests : {};
  // As Kubernetes defaults requests to limits when only limits are set.
  const limits = isRecord(resources.limits) ? resources.limits : {};
  const cpu = parseQuantity(requests.cpu ?? limits.cpu);
  const memory = parseQuantity(requests.memory ?? limits.memory);
  return {
    cpu: cpu ?? (nonZero ? DEFAULT_CPU_REQUEST : 0),
    memory: memory ?? (nonZero ? DEFAULT_MEMORY_REQUEST : 0),
    pods: 0,
  };
}

/** What `pod` requests (pods: 1). With `nonZero`, containers without requests count the defaults. */
export function podRequests(pod: KubeObject, nonZero = false): Resources {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  let sum = zero();
  for (const c of recordList(spec, 'containers')) sum = add(sum, containerRequests(c, nonZero));
  for (const c of recordList(spec, 'initContainers')) {
    const r = containerRequests(c, nonZero);
    sum = { cpu: Math.max(sum.cpu, r.cpu), memory: Math.max(sum.memory, r.memory), pods: 0 };
  }
  return { ...sum, pods: 1 };
}

/** The node's status.allocatable (capacity when allocatable is absent). */
export function allocatableOf(node: KubeObject): Resources {
  const status = isRecord(node.status) ? node.status : {};
  const alloc = isRecord(status.allocatable) ? status.allocatable : isRecord(status.capacity) ? status.capacity : {};
  return { cpu: parseQuantity(alloc.cpu) ?? 0, memory: parseQuantity(alloc.memory) ?? 0, pods: parseQuantity(alloc.pods) ?? 0 };
}
