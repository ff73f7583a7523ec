/**
 * A pod's effective requests and limits, as Kubernetes' component-helpers `PodRequests` /
 * `PodLimits` compute them: the containers summed; each ordinary init container, plus the
 * sidecars (init containers with `restartPolicy: Always`) started before it, competes as a
 * maximum; sidecars also run beside the containers, so they add to the sum; `spec.overhead`
 * adds to requests (and to the limits that are set).
 */
import { isRecord, optionalRecord, recordList, type JsonObject, type KubeObject } from '../object.ts';
import { addLists, parseResourceList, type ResourceList } from './resource-list.ts';

export type ContainerResourceField = 'requests' | 'limits';

/** One container's `resources.requests` or `resources.limits`. */
export function containerResources(container: JsonObject, field: ContainerResourceField): ResourceList {
  return parseResourceList(optionalRecord(optionalRecord(container, 'resources'), field));
}

function maxLists(into: ResourceList, other: ResourceList): ResourceList {
  const out = { ...into };
  for (const [name, q] of Object.entries(other)) if (!out[name] || q.cmp(out[name]) > 0) out[name] = q;
  return out;
}

function podTotal(pod: KubeObject, field: ContainerResourceField): ResourceList {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  let total: ResourceList = {};
  for (const c of recordList(spec, 'containers')) total = addLists(total, containerResources(c, field));
  let sidecars: ResourceList = {};
  let initMax: ResourceList = {};
  for (const c of recordList(spec, 'initContainers')) {
    const own = containerResources(c, field);
    let competing: ResourceList;
    if (c.restartPolicy === 'Always') {
      total = addLists(total, own);
      sidecars = addLists(sidecars, own);
      competing = sidecars;
    } else {
      competing = addLists(own, sidecars);
    }
    initMax = maxLists(initMax, competing);
  }
  total = maxLists(total, initMax);
  const overhead = parseResourceList(spec.overhead);
  for (const [name, q] of Object.entries(overhead)) {
    if (field === 'requests') total[name] = total[name] ? total[name].add(q) : q;
    else if (total[name]) total[name] = total[name].add(q);
  }
  return total;
}

export function podRequests(pod: KubeObject): ResourceList {
  return podTotal(pod, 'requests');
}

export function podLimits(pod: KubeObject): ResourceList {
  return podTotal(pod, 'limits');
}

