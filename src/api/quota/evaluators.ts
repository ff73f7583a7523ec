/**
 * What an object costs against a ResourceQuota, per kind, as Kubernetes' quota evaluators
 * (pkg/quota/v1/evaluator/core: pods, services, persistentvolumeclaims; generic object counts for
 * everything else, with the legacy names `configmaps`, `secrets`, `replicationcontrollers`,
 * `resourcequotas`). Each says which hard resource names it tracks, whether an operation can
 * change usage, what one object uses, whether it falls in a quota's scopes, and (pods only) which
 * resources every container must state.
 */
import { isRecord, optionalRecord, recordList, type JsonObject, type KubeObject } from '../object.ts';
import { qosClass } from '../metadata.ts';
import { Quantity } from './quantity.ts';
import { addLists, parseResourceList, type ResourceList } from './resource-list.ts';
import { containerResources, podLimits, podRequests } from './pod-resources.ts';

export type QuotaOperation = 'CREATE' | 'UPDATE';

/** One `spec.scopes` entry (operator Exists) or `spec.scopeSelector.matchExpressions` entry. */
export interface ScopeSelector {
  scopeName: string;
  operator: string;
  values?: string[];
}

export interface QuotaEvaluator {
  /** `pods`, `services`, `deployments.apps`: the group-resource it measures. */
  readonly groupResource: string;
  /** Whether `op` on such an object can change what it uses (and so needs a quota check). */
  handles(op: QuotaOperation, obj: KubeObject, old?: KubeObject): boolean;
  /** The names out of `names` this evaluator tracks. */
  matchingResources(names: readonly string[]): string[];
  /** What one object uses; `now` decides whether a terminating pod still counts. */
  usage(obj: KubeObject, now: Date): ResourceList;
  /** Whether the object falls within one scope selector of a quota. */
  matchesScope(selector: ScopeSelector, obj: KubeObject): boolean;
  /** Resources of `required` the object fails to state, as Kubernetes' message after `failed quota: q: `; undefined when fine. */
  constraints(required: readonly string[], obj: KubeObject): string | undefined;
}

const one = (): Quantity => Quantity.fromInt(1);

/** `count/pods`, `count/deployments.apps`: the object-count name of a group-resource. */
export function objectCountName(groupResource: string): string {
  return `count/${groupResource}`;
}

/** The legacy object-count names Kubernetes keeps beside `count/<resource>`. */
const LEGACY_COUNT_ALIASES: Record<string, string> = {
  configmaps: 'configmaps',
  secrets: 'secrets',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

function intersection(names: readonly string[], tracked: readonly string[]): string[] {
  return names.filter((n) => tracked.includes(n));
}

/** generic.NewObjectCountEvaluator: one per object, charged on create only; scopes never match. */
export function objectCountEvaluator(groupResource: string): QuotaEvaluator {
  const tracked = [objectCountName(groupResource), ...(LEGACY_COUNT_ALIASES[groupResource] ? [LEGACY_COUNT_ALIASES[groupResource]] : [])];
  return {
    groupResource,
    handles: (op) => op === 'CREATE',
    matchingResources: (names) => intersection(names, tracked),
    usage: () => Object.fromEntries(tracked.map((n) => [n, one()])),
    matchesScope: () => false,
    constraints: () => undefined,
  };
}

// --- Services ---------------------------------------------------------------------------------

const SERVICE_RESOURCES = ['count/services', 'services', 'services.loadbalancers', 'services.nodeports'];

export const serviceEvaluator: QuotaEvaluator = {
  groupResource: 'services',
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources: (names) => intersection(names, SERVICE_RESOURCES),
  usage(svc) {
    const spec = isRecord(svc.spec) ? svc.spec : {};
    const ports = recordList(spec, 'ports');
    const out: ResourceList = {
      'count/services': one(),
      services: one(),
      'services.loadbalancers': Quantity.zero(),
      'services.nodeports': Quantity.zero(),
    };
    if (spec.type === 'NodePort') out['services.nodeports'] = Quantity.fromInt(ports.length);
    if (spec.type === 'LoadBalancer') {
      // Without node port allocation only the ports that name one are counted (the intent, not the allocation).
      const counted = spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => typeof p.nodePort === 'number' && p.nodePort !== 0).length : ports.length;
      out['services.nodeports'] = Quantity.fromInt(counted);
      out['services.loadbalancers'] = one();
    }
    return out;
  },
  matchesScope: () => false,
  constraints: () => undefined,
};

// --- PersistentVolumeClaims -------------------------------------------------------------------

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const PVC_RESOURCES = ['count/persistentvolumeclaims', 'persistentvolumeclaims', 'requests.storage'];

/** The claim's class: `spec.storageClassName`, else the beta annotation (storage helpers' GetPersistentVolumeClaimClass). */
export function claimClass(pvc: KubeObject): string {
  const annotated = pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (annotated !== undefined) return annotated;
  const spec = isRecord(pvc.spec) ? pvc.spec : {};
  return typeof spec.storageClassName === 'string' ? spec.storageClassName : '';
}

export const persistentVolumeClaimEvaluator: QuotaEvaluator = {
  groupResource: 'persistentvolumeclaims',
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources: (names) =>
    names.filter(
      (n) =>
        PVC_RESOURCES.includes(n) ||
        (n.includes(STORAGE_CLASS_SUFFIX) && (n.endsWith(`${STORAGE_CLASS_SUFFIX}requests.storage`) || n.endsWith(`${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`))),
    ),
  usage(pvc) {
    const out: ResourceList = { persistentvolumeclaims: one(), 'count/persistentvolumeclaims': one() };
    const cls = claimClass(pvc);
    if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = one();
    const spec = isRecord(pvc.spec) ? pvc.spec : {};
    const requested = parseResourceList(optionalRecord(optionalRecord(spec, 'resources'), 'requests')).storage;
    // A claim being expanded (or whose expansion failed) is charged the larger of what it asks and what it holds.
    const allocated = parseResourceList(optionalRecord(isRecord(pvc.status) ? pvc.status : undefined, 'allocatedResources')).storage;
    const storage = requested && allocated ? (allocated.cmp(requested) > 0 ? allocated : requested) : (requested ?? allocated);
    if (storage) {
      out['requests.storage'] = storage;
      if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage;
    }
    return out;
  },
  matchesScope: () => false,
  constraints: () => undefined,
};

// --- Pods ---------------------------------------------------------------------------------------

const POD_RESOURCES = [
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
];
const POD_RESOURCE_PREFIXES = ['hugepages-', 'requests.hugepages-'];

/**
 * Resources Kubernetes makes every container state when a quota tracks them (a mistake it keeps
 * for compatibility, and does not repeat for newer resources).
 */
const VALIDATION_SET = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

/** A resource outside the kubernetes.io namespace asked for as `requests.<name>` (extended resources). */
function isExtendedResourceNameForQuota(name: string): boolean {
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return !native && name.startsWith('requests.');
}

/** The quota names one set of requests and limits fills (podComputeUsageHelper). */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = { pods: one() };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[r]) {
      out[r] = requests[r];
      out[`requests.${r}`] = requests[r];
    }
    if (limits[r]) out[`limits.${r}`] = limits[r];
  }
  for (const [name, q] of Object.entries(requests)) {
    if (name.startsWith('hugepages-')) {
      out[name] = q;
      out[`requests.${name}`] = q;
    } else if (name.includes('/') && !name.includes('kubernetes.io/')) {
      out[`requests.${name}`] = q;
    }
  }
  return out;
}

/** A pod that has a deadline (activeDeadlineSeconds ≥ 0): the Terminating scope. */
export function isTerminatingPod(pod: KubeObject): boolean {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  return typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0;
}

function isBestEffort(pod: KubeObject): boolean {
  const status = isRecord(pod.status) ? pod.status : {};
  const cls = typeof status.qosClass === 'string' && status.qosClass ? status.qosClass : qosClass(isRecord(pod.spec) ? pod.spec : undefined);
  return cls === 'BestEffort';
}

function crossNamespaceTerm(term: JsonObject): boolean {
  return (Array.isArray(term.namespaces) && term.namespaces.length > 0) || isRecord(term.namespaceSelector);
}

function usesCrossNamespacePodAffinity(pod: KubeObject): boolean {
  const affinity = optionalRecord(isRecord(pod.spec) ? pod.spec : undefined, 'affinity');
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = optionalRecord(affinity, kind);
    if (recordList(a, 'requiredDuringSchedulingIgnoredDuringExecution').some(crossNamespaceTerm)) return true;
    if (recordList(a, 'preferredDuringSchedulingIgnoredDuringExecution').some((w) => isRecord(w.podAffinityTerm) && crossNamespaceTerm(w.podAffinityTerm))) return true;
  }
  return false;
}

/** A label-selector requirement on the one "label" `PriorityClass` = the pod's priorityClassName. */
function priorityClassMatches(pod: KubeObject, selector: ScopeSelector): boolean {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const name = typeof spec.priorityClassName === 'string' && spec.priorityClassName !== '' ? spec.priorityClassName : undefined;
  const values = selector.values ?? [];
  switch (selector.operator) {
    case 'Exists':
      return name !== undefined;
    case 'DoesNotExist':
      return name === undefined;
    case 'In':
      return name !== undefined && values.includes(name);
    case 'NotIn':
      return name === undefined || !values.includes(name);
    default:
      return false;
  }
}

/** QuotaV1Pod: a pod in a terminal phase, or past its deletion grace, is no longer charged for compute. */
export function podIsCharged(pod: KubeObject, now: Date): boolean {
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const meta = pod.metadata ?? {};
  if (meta.deletionTimestamp && typeof meta.deletionGracePeriodSeconds === 'number') {
    const deadline = Date.parse(meta.deletionTimestamp) + meta.deletionGracePeriodSeconds * 1000;
    if (now.getTime() > deadline) return false;
  }
  return true;
}

export const podEvaluator: QuotaEvaluator = {
  groupResource: 'pods',
  // Pod resources cannot change once created (no in-place resize here); only a change of scope re-charges.
  handles: (op, obj, old) => op === 'CREATE' || (op === 'UPDATE' && old !== undefined && isTerminatingPod(old) !== isTerminatingPod(obj)),
  matchingResources(names) {
    return names.filter((n) => POD_RESOURCES.includes(n) || POD_RESOURCE_PREFIXES.some((p) => n.startsWith(p)) || isExtendedResourceNameForQuota(n));
  },
  usage(pod, now) {
    const counted: ResourceList = { 'count/pods': one() };
    if (!podIsCharged(pod, now)) return counted;
    return addLists(counted, computeUsage(podRequests(pod), podLimits(pod)));
  },
  matchesScope(selector, pod) {
    switch (selector.scopeName) {
      case 'Terminating':
        return isTerminatingPod(pod);
      case 'NotTerminating':
        return !isTerminatingPod(pod);
      case 'BestEffort':
        return isBestEffort(pod);
      case 'NotBestEffort':
        return !isBestEffort(pod);
      case 'PriorityClass':
        return priorityClassMatches(pod, selector);
      case 'CrossNamespacePodAffinity':
        return usesCrossNamespacePodAffinity(pod);
      default:
        return false;
    }
  },
  constraints(required, pod) {
    const requiredSet = required.filter((r) => VALIDATION_SET.includes(r));
    if (requiredSet.length === 0) return undefined;
    const spec = isRecord(pod.spec) ? pod.spec : {};
    const missing = new Map<string, Set<string>>();
    for (const c of [...recordList(spec, 'containers'), ...recordList(spec, 'initContainers')]) {
      const stated = computeUsage(containerResources(c, 'requests'), containerResources(c, 'limits'));
      for (const r of requiredSet) {
        if (stated[r]) continue;
        const names = missing.get(r) ?? new Set<string>();
        names.add(typeof c.name === 'string' ? c.name : '');
        missing.set(r, names);
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

const SPECIAL: Record<string, QuotaEvaluator> = {
  pods: podEvaluator,
  services: serviceEvaluator,
  persistentvolumeclaims: persistentVolumeClaimEvaluator,
};

/** `pods`, `deployments.apps`: how quota names a group-resource. */
export function groupResourceOf(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

const generic = new Map<string, QuotaEvaluator>();

/** The evaluator of a group-resource (an object-count one for kinds without their own). */
export function evaluatorFor(groupResource: string): QuotaEvaluator {
  const special = SPECIAL[groupResource];
  if (special) return special;
  let e = generic.get(groupResource);
  if (!e) generic.set(groupResource, (e = objectCountEvaluator(groupResource)));
  return e;
}
