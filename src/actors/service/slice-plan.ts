/**
 * The EndpointSlice reconciler (Kubernetes' pkg/controller/endpointslice/reconciler.go): from the
 * endpoints a Service should have, grouped by the ports they serve, and the slices that exist,
 * the slices to create, update and delete. Pure.
 *
 * Churn is kept low as Kubernetes does: an endpoint stays in the slice it is in; a slice is
 * rewritten only when one of its endpoints changed, went, or its labels changed; new endpoints
 * go first into slices already being rewritten, then into the one unchanged slice closest to
 * full that can take them all, and only then into new slices of at most `maxEndpointsPerSlice`.
 * A Service with no endpoints at all keeps one empty placeholder slice (Kubernetes does, so
 * consumers can tell "no endpoints" from "not synced yet").
 */
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { jsonEqual } from '../../api/object.ts';
import { ANNOTATION_TRIGGER_TIME, MAX_ENDPOINTS_PER_SLICE } from './names.ts';

/** Endpoints that serve the same ports (one set of slices each). */
export interface EndpointGroup {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

/** Who the slices belong to and what every one of them carries. */
export interface SliceOwner {
  namespace: string;
  /** The Service's name (slices are named `<name>-<random>`). */
  name: string;
  uid: string;
  /** The labels every slice must carry (service name, managed-by, headless, copied labels). */
  labels: Record<string, string>;
}

export interface SlicePlanOptions {
  maxEndpointsPerSlice?: number;
  /** `endpoints.kubernetes.io/last-change-trigger-time` for the slices written by this plan. */
  triggerTime?: string;
  /** Keep one empty slice when there is nothing else (the endpointslice controller does; mirroring does not). */
  placeholder?: boolean;
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** True when the plan writes nothing. */
export function isEmptyPlan(plan: SlicePlan): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.delete.length === 0;
}

/** Canonical key of a port list: slices with equal keys serve the same ports. */
export function portsKey(ports: readonly EndpointPort[] | undefined): string {
  const norm = (ports ?? []).map((p) => [p.name ?? '', p.protocol ?? 'TCP', p.port ?? 0, p.appProtocol ?? '']);
  norm.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return JSON.stringify(norm);
}

/** An endpoint's identity across syncs: the pod it stands for and its addresses. */
export function endpointKey(ep: Endpoint): string {
  return `${ep.targetRef?.uid ?? ''}/${[...ep.addresses].sort().join(',')}`;
}

/** The plan that turns `existing` (this owner's slices of one manager) into `desired`. */
export function planSlices(owner: SliceOwner, desired: readonly EndpointGroup[], existing: readonly EndpointSlice[], opts: SlicePlanOptions = {}): SlicePlan {
  const max = opts.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const desiredByPorts = new Map<string, EndpointGroup>();
  for (const g of desired) {
    const key = portsKey(g.ports);
    const merged = desiredByPorts.get(key);
    if (merged) merged.endpoints.push(...g.endpoints);
    else desiredByPorts.set(key, { ports: g.ports, endpoints: [...g.endpoints] });
  }
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const s of [...existing].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const key = portsKey(s.ports);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), s]);
  }

  for (const [key, group] of desiredByPorts) {
    const part = planPortGroup(owner, group, existingByPorts.get(key) ?? [], max, opts.triggerTime);
    plan.create.push(...part.create);
    plan.update.push(...part.update);
    plan.delete.push(...part.delete);
  }
  for (const [key, slices] of existingByPorts) if (!desiredByPorts.has(key)) plan.delete.push(...slices);

  // No slice would be left: keep (or make) one empty placeholder.
  if (opts.placeholder !== false && plan.create.length === 0 && plan.delete.length === existing.length && plan.update.length === 0) {
    const placeholder = newSlice(owner, [], opts.triggerTime);
    const kept = plan.delete.find((s) => isPlaceholderFor(s, placeholder));
    if (kept) plan.delete = plan.delete.filter((s) => s !== kept);
    else plan.create.push(placeholder);
  }
  return plan;
}

function planPortGroup(owner: SliceOwner, group: EndpointGroup, existing: EndpointSlice[], max: number, triggerTime: string | undefined): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const remaining = new Map(group.endpoints.map((ep) => [endpointKey(ep), ep]));
  const toUpdate: EndpointSlice[] = [];
  const unchanged: EndpointSlice[] = [];

  // 1. Keep what each existing slice still should hold, refreshed; drop what it should not.
  for (const slice of existing) {
    let changed = !sameLabels(slice, owner.labels);
    const kept: Endpoint[] = [];
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = remaining.get(key);
      if (!want) {
        changed = true;
        continue;
      }
      remaining.delete(key);
      if (!jsonEqual(want, ep)) changed = true;
      kept.push(want);
    }
    if (!changed) unchanged.push(slice);
    else if (kept.length === 0) plan.delete.push(slice);
    else toUpdate.push(rewritten(slice, owner, kept, triggerTime));
  }

  // 2. New endpoints go first into slices being rewritten anyway, fullest first.
  const fresh = [...remaining.values()].sort((a, b) => endpointKey(a).localeCompare(endpointKey(b)));
  for (const slice of [...toUpdate].sort((a, b) => b.endpoints.length - a.endpoints.length)) {
    while (fresh.length > 0 && slice.endpoints.length < max) slice.endpoints.push(fresh.shift() as Endpoint);
  }

  // 3. Then into the unchanged slice closest to full that can take them all; else new slices.
  while (fresh.length > 0) {
    const fill = fresh.length < max ? sliceToFill(unchanged, fresh.length, max) : undefined;
    let target: EndpointSlice;
    if (fill) {
      unchanged.splice(unchanged.indexOf(fill), 1);
      target = rewritten(fill, owner, [...fill.endpoints], triggerTime);
      toUpdate.push(target);
    } else {
      target = newSlice(owner, group.ports, triggerTime);
      plan.create.push(target);
    }
    while (fresh.length > 0 && target.endpoints.length < max) target.endpoints.push(fresh.shift() as Endpoint);
  }
  plan.update.push(...toUpdate);
  return plan;
}

/** getSliceToFill: the slice that ends closest to full after taking `count` endpoints. */
function sliceToFill(slices: EndpointSlice[], count: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestRoom = max;
  for (const s of slices) {
    const room = max - (count + s.endpoints.length);
    if (room >= 0 && room < bestRoom) {
      best = s;
      bestRoom = room;
    }
  }
  return best;
}

function sameLabels(slice: EndpointSlice, labels: Record<string, string>): boolean {
  return jsonEqual(slice.metadata?.labels ?? {}, labels);
}

/** A copy of `slice` holding `endpoints`, with the owner's labels and the trigger time. */
function rewritten(slice: EndpointSlice, owner: SliceOwner, endpoints: Endpoint[], triggerTime: string | undefined): EndpointSlice {
  const copy = structuredClone(slice);
  copy.endpoints = endpoints;
  copy.metadata = { ...copy.metadata, labels: { ...owner.labels } };
  setTriggerTime(copy, triggerTime);
  return copy;
}

/** newEndpointSlice: `<service>-<random>`, owned by the Service, with the owner's labels. */
export function newSlice(owner: SliceOwner, ports: EndpointPort[], triggerTime?: string): EndpointSlice {
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: slicePrefix(owner.name),
      namespace: owner.namespace,
      labels: { ...owner.labels },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    endpoints: [],
    ports: structuredClone(ports),
  };
  setTriggerTime(slice, triggerTime);
  return slice;
}

/** getEndpointSlicePrefix: `<name>-`, or the bare name when the dash would make the prefix too long. */
function slicePrefix(name: string): string {
  return name.length + 1 > 253 - 5 ? name : `${name}-`;
}

/**
 * Stamps the trigger time on a slice being written. Without a new one the last stays (Kubernetes
 * clears it, but its trigger times have one-second grain: a pod getting its IP and turning ready
 * within one second would leave the slice without any).
 */
function setTriggerTime(slice: EndpointSlice, triggerTime: string | undefined): void {
  if (!triggerTime) return;
  slice.metadata = { ...slice.metadata, annotations: { ...(slice.metadata?.annotations ?? {}), [ANNOTATION_TRIGGER_TIME]: triggerTime } };
}

function isPlaceholderFor(slice: EndpointSlice, placeholder: EndpointSlice): boolean {
  return (slice.endpoints ?? []).length === 0 && (slice.ports ?? []).length === 0 && jsonEqual(slice.metadata?.labels ?? {}, placeholder.metadata?.labels ?? {});
}
