/**
 * LimitRange rules, pure: Kubernetes' LimitRanger admission plugin
 * (plugin/pkg/admission/limitranger/admission.go) and the LimitRange object's own defaulting.
 *
 * - Pods (on create): every container and init container gets the `Container` items'
 *   `default` (limits) and `defaultRequest` (requests) for resources it does not state, noted in
 *   the annotation `kubernetes.io/limit-ranger`; then each container is held to `min`, `max` and
 *   `maxLimitRequestRatio`, and the pod's totals to the `Pod` items'.
 * - PersistentVolumeClaims (on create and update): `spec.resources.requests` within the
 *   `PersistentVolumeClaim` items' `min` and `max` (a request an update leaves unchanged is not
 *   checked again).
 *
 * Messages are Kubernetes' (`maximum cpu usage per Container is 1, but limit is 2`); several
 * failures of one LimitRange are listed as `[a, b]`, as apimachinery's aggregate error prints them.
 */
import { childRecord, isRecord, recordList, type JsonObject, type KubeObject } from '../object.ts';
import { Quantity } from './quantity.ts';
import { containerResources, podLimits, podRequests } from './pod-resources.ts';
import { parseResourceList, type ResourceList } from './resource-list.ts';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

interface LimitItem {
  type: string;
  min: ResourceList;
  max: ResourceList;
  default: ResourceList;
  defaultRequest: ResourceList;
  maxLimitRequestRatio: ResourceList;
}

function itemsOf(limitRange: KubeObject): LimitItem[] {
  const spec = isRecord(limitRange.spec) ? limitRange.spec : {};
  return recordList(spec, 'limits').map((l) => ({
    type: typeof l.type === 'string' ? l.type : '',
    min: parseResourceList(l.min),
    max: parseResourceList(l.max),
    default: parseResourceList(l.default),
    defaultRequest: parseResourceList(l.defaultRequest),
    maxLimitRequestRatio: parseResourceList(l.maxLimitRequestRatio),
  }));
}

/** Names sorted, so messages come out in one order (Go's map order is random). */
const sortedEntries = (list: ResourceList): [string, Quantity][] => Object.entries(list).sort(([a], [b]) => a.localeCompare(b));

/**
 * SetDefaults_LimitRangeItem, for the LimitRange object itself: a Container item's missing
 * `default` comes from `max`, a missing `defaultRequest` from `default`, then from `min`.
 */
export function defaultLimitRange(limitRange: KubeObject): void {
  const spec = isRecord(limitRange.spec) ? limitRange.spec : undefined;
  for (const item of recordList(spec, 'limits')) {
    if (item.type !== 'Container') continue;
    const def = childRecord(item, 'default');
    const defReq = childRecord(item, 'defaultRequest');
    for (const [k, v] of Object.entries(isRecord(item.max) ? item.max : {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
    for (const [k, v] of Object.entries(isRecord(item.min) ? item.min : {})) if (!(k in defReq)) defReq[k] = v;
  }
}

// --- Mutation (defaults into pods) ------------------------------------------------------------

/** mergeContainerResources: fills what the container does not state; returns the annotation parts. */
function mergeContainer(container: JsonObject, limits: ResourceList, requests: ResourceList, prefix: string): string[] {
  const resources = childRecord(container, 'resources');
  const parts: string[] = [];
  const fill = (field: 'limits' | 'requests', defaults: ResourceList): string[] => {
    if (Object.keys(defaults).length === 0) return [];
    const target = childRecord(resources, field);
    const set: string[] = [];
    for (const [name, q] of Object.entries(defaults)) {
      if (name in target) continue;
      target[name] = q.toString();
      set.push(name);
    }
    return set.sort();
  };
  const setLimits = fill('limits', limits);
  const setRequests = fill('requests', requests);
  const name = typeof container.name === 'string' ? container.name : '';
  if (setRequests.length > 0) parts.push(`${setRequests.join(', ')} request for ${prefix} ${name}`);
  if (setLimits.length > 0) parts.push(`${setLimits.join(', ')} limit for ${prefix} ${name}`);
  return parts;
}

/** PodMutateLimitFunc for one LimitRange: its Container defaults into every container of `pod` (in place). */
export function applyLimitRangeDefaults(limitRange: KubeObject, pod: KubeObject): void {
  let limits: ResourceList = {};
  let requests: ResourceList = {};
  for (const item of itemsOf(limitRange)) {
    if (item.type !== 'Container') continue;
    limits = { ...limits, ...item.default };
    requests = { ...requests, ...item.defaultRequest };
  }
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const annotations: string[] = [];
  for (const c of recordList(spec, 'containers')) annotations.push(...mergeContainer(c, limits, requests, 'container'));
  for (const c of recordList(spec, 'initContainers')) annotations.push(...mergeContainer(c, limits, requests, 'init container'));
  if (annotations.length === 0) return;
  const meta = (pod.metadata ??= {});
  meta.annotations = { ...(meta.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${annotations.join('; ')}` };
}

// --- Validation ---------------------------------------------------------------------------------

function minConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request[name];
  const lim = limit[name];
  if (!req) return `minimum ${name} usage per ${limitType} is ${enforced}.  No request is specified`;
  if (enforced.cmp(req) > 0) return `minimum ${name} usage per ${limitType} is ${enforced}, but request is ${req}`;
  if (lim && enforced.cmp(lim) > 0) return `minimum ${name} usage per ${limitType} is ${enforced}, but limit is ${lim}`;
  return undefined;
}

function maxRequestConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList): string | undefined {
  const req = request[name];
  if (!req) return `maximum ${name} usage per ${limitType} is ${enforced}.  No request is specified`;
  if (req.cmp(enforced) > 0) return `maximum ${name} usage per ${limitType} is ${enforced}, but request is ${req}`;
  return undefined;
}

function maxConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request[name];
  const lim = limit[name];
  if (!lim) return `maximum ${name} usage per ${limitType} is ${enforced}.  No limit is specified`;
  if (lim.cmp(enforced) > 0) return `maximum ${name} usage per ${limitType} is ${enforced}, but limit is ${lim}`;
  if (req && req.cmp(enforced) > 0) return `maximum ${name} usage per ${limitType} is ${enforced}, but request is ${req}`;
  return undefined;
}

function limitRequestRatioConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request[name];
  const lim = limit[name];
  if (!req || req.sign() === 0) return `${name} max limit to request ratio per ${limitType} is ${enforced}, but no request is specified or request is 0`;
  if (!lim || lim.sign() === 0) return `${name} max limit to request ratio per ${limitType} is ${enforced}, but no limit is specified or limit is 0`;
  // limit > request × ratio, exactly (nanos × nanos on both sides).
  if (lim.nanos * 1_000_000_000n > req.nanos * enforced.nanos) {
    const ratio = (Number(lim.nanos) / Number(req.nanos)).toFixed(6);
    return `${name} max limit to request ratio per ${limitType} is ${enforced}, but provided ratio is ${ratio}`;
  }
  return undefined;
}

function checkItem(item: LimitItem, requests: ResourceList, limits: ResourceList, errors: string[]): void {
  const push = (e: string | undefined): void => void (e && errors.push(e));
  for (const [name, q] of sortedEntries(item.min)) push(minConstraint(item.type, name, q, requests, limits));
  for (const [name, q] of sortedEntries(item.max)) push(maxConstraint(item.type, name, q, requests, limits));
  for (const [name, q] of sortedEntries(item.maxLimitRequestRatio)) push(limitRequestRatioConstraint(item.type, name, q, requests, limits));
}

/** apimachinery's aggregate error text: one message as is, several (distinct) as `[a, b]`. */
function aggregate(errors: string[]): string | undefined {
  const distinct = [...new Set(errors)];
  if (distinct.length === 0) return undefined;
  return distinct.length === 1 ? distinct[0] : `[${distinct.join(', ')}]`;
}

/** PodValidateLimitFunc for one LimitRange (pod creates): the reason it refuses `pod`, or undefined. */
export function validatePodLimits(limitRange: KubeObject, pod: KubeObject): string | undefined {
  const errors: string[] = [];
  const spec = isRecord(pod.spec) ? pod.spec : {};
  for (const item of itemsOf(limitRange)) {
    if (item.type === 'Container') {
      for (const c of [...recordList(spec, 'containers'), ...recordList(spec, 'initContainers')]) {
        checkItem(item, containerResources(c, 'requests'), containerResources(c, 'limits'), errors);
      }
    } else if (item.type === 'Pod') {
      checkItem(item, podRequests(pod), podLimits(pod), errors);
    }
  }
  return aggregate(errors);
}

/** PersistentVolumeClaimValidateLimitFunc for one LimitRange: min/max on what the claim requests. */
export function validateClaimLimits(limitRange: KubeObject, pvc: KubeObject, old?: KubeObject): string | undefined {
  const requestsOf = (claim: KubeObject | undefined): ResourceList => {
    const spec = claim && isRecord(claim.spec) ? claim.spec : undefined;
    const resources = spec && isRecord(spec.resources) ? spec.resources : undefined;
    return parseResourceList(resources?.requests);
  };
  const requests = requestsOf(pvc);
  const oldRequests = old ? requestsOf(old) : {};
  const unchanged = (name: string): boolean => requests[name] !== undefined && oldRequests[name] !== undefined && requests[name].cmp(oldRequests[name]) === 0;
  const errors: string[] = [];
  for (const item of itemsOf(limitRange)) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const [name, q] of sortedEntries(item.min)) if (!unchanged(name)) errors.push(minConstraint(item.type, name, q, requests, {}) ?? '');
    for (const [name, q] of sortedEntries(item.max)) if (!unchanged(name)) errors.push(maxRequestConstraint(item.type, name, q, requests) ?? '');
  }
  return aggregate(errors.filter((e) => e !== ''));
}
