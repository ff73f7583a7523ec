/**
 * The Service machine's effects: every write the endpoint controllers make, through the
 * Registry. Each reads the controller's caches, computes with the pure helpers (pod-endpoints,
 * slice-plan, legacy-endpoints, mirror) and writes only what differs, so calling one again is
 * harmless. Failures are thrown (the work queue retries the sync) after a Warning Event on the
 * Service, as Kubernetes' controllers record them.
 */
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { ApiError } from '../../api/status.ts';
import type { Registry } from '../../registry/registry.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import { isNotFound } from '../../registry/retry-on-conflict.ts';
import { desiredEndpoints, endpointSubsets } from './legacy-endpoints.ts';
import { mirroredGroups, mirroredLabels, shouldMirror } from './mirror.ts';
import {
  ENDPOINTS,
  ENDPOINT_SLICES,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  MIRRORING_CONTROLLER,
  SERVICES,
  SLICE_CONTROLLER,
  type SliceManager,
} from './names.ts';
import { endpointPorts, podToEndpoint, shouldPodBeInEndpoints } from './pod-endpoints.ts';
import { isEmptyPlan, planSlices, portsKey, type EndpointGroup, type SliceOwner, type SlicePlan } from './slice-plan.ts';
import type { SliceTracker } from './slice-tracker.ts';
import type { TriggerTimeTracker } from './trigger-time.ts';
import { errorMessage } from '../../api/error-message.ts';

/** What the effects read: the controller's informer caches. */
export interface ServiceCaches {
  /** Pods in the Service's namespace its selector matches. */
  selectedPods(service: Service): Pod[];
  /** The `topology.kubernetes.io/zone` label of a node, if any. */
  zoneOf(nodeName: string | undefined): string | undefined;
  /** Every slice labelled with this Service's name (any manager). */
  slicesOf(namespace: string, serviceName: string): EndpointSlice[];
  endpointsOf(namespace: string, name: string): Endpoints | undefined;
}

export interface ServiceEffectsOptions {
  registry: Registry;
  events: EventSink;
  caches: ServiceCaches;
  sliceTracker: SliceTracker;
  triggerTimes: TriggerTimeTracker;
  maxEndpointsPerSlice?: number;
}

const SOURCE = { component: 'endpointslice-controller' };
const ENDPOINTS_SOURCE = { component: 'endpoint-controller' };
const MIRROR_SOURCE = { component: 'endpointslicemirroring-controller' };

export class ServiceEffects {
  constructor(private readonly opts: ServiceEffectsOptions) {}

  /** EndpointSlices and Endpoints of a Service with a selector, from the pods it selects. */
  async reconcileEndpoints(service: Service, headless: boolean): Promise<void> {
    const { namespace, name, key } = identity(service);
    const pods = this.opts.caches.selectedPods(service);
    const triggerTime = this.opts.triggerTimes.compute(key, service, pods);

    const groups = new Map<string, EndpointGroup>();
    for (const pod of pods) {
      // Slices keep terminating pods (ready false, serving as readiness, terminating true).
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      // A pod declaring none of the named ports still gets an endpoint, in a slice without ports (as Kubernetes).
      const ports = endpointPorts(service, pod);
      const group = groups.get(portsKey(ports)) ?? { ports, endpoints: [] };
      group.endpoints.push(podToEndpoint(pod, service, this.opts.caches.zoneOf(pod.spec?.nodeName)));
      groups.set(portsKey(ports), group);
    }
    const owner: SliceOwner = { namespace, name, uid: service.metadata?.uid ?? '', labels: managedLabels(service, headless) };
    try {
      const plan = this.planFor(service, SLICE_CONTROLLER, owner, [...groups.values()], { triggerTime, placeholder: true });
      await this.apply(key, plan);
    } catch (err) {
      void this.warn(service, SOURCE, 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${namespace}/${name}: ${errorMessage(err)}`);
      throw err;
    }

    const current = this.opts.caches.endpointsOf(namespace, name);
    const next = desiredEndpoints(service, endpointSubsets(service, pods), current, triggerTime, headless);
    if (!next) return;
    try {
      if (current) await this.opts.registry.update(ENDPOINTS, namespace, name, next as KubeObject);
      else await this.opts.registry.create(ENDPOINTS, namespace, next as KubeObject);
    } catch (err) {
      void this.warn(service, ENDPOINTS_SOURCE, 'FailedToUpdateEndpoint', `Failed to update endpoint ${namespace}/${name}: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Slices mirroring the user's Endpoints of a Service without a selector (none when not mirrored). */
  async mirrorEndpoints(service: Service): Promise<void> {
    const { namespace, name, key } = identity(service);
    const endpoints = this.opts.caches.endpointsOf(namespace, name);
    const mirrored = shouldMirror(endpoints);
    const owner: SliceOwner = {
      namespace,
      name,
      uid: service.metadata?.uid ?? '',
      labels: mirrored ? mirroredLabels(endpoints, name, MIRRORING_CONTROLLER) : {},
    };
    const groups = mirrored ? mirroredGroups(endpoints) : [];
    try {
      await this.apply(key, this.planFor(service, MIRRORING_CONTROLLER, owner, groups, { placeholder: false }));
    } catch (err) {
      void this.warn(service, MIRROR_SOURCE, 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Endpoints ${namespace}/${name}: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Deletes the Service's slices of `manager` (those of another incarnation of the name too). */
  async deleteSlices(namespace: string, name: string, manager: SliceManager): Promise<void> {
    const key = objectKey(SERVICES, namespace, name);
    const slices = this.opts.caches.slicesOf(namespace, name).filter((s) => s.metadata?.labels?.[LABEL_MANAGED_BY] === manager);
    if (slices.length === 0) return;
    await this.apply(key, { create: [], update: [], delete: slices });
  }

  /** Deletes the Endpoints named after a Service that is gone. */
  async deleteEndpoints(namespace: string, name: string): Promise<void> {
    const current = this.opts.caches.endpointsOf(namespace, name);
    if (!current) return;
    try {
      await this.opts.registry.delete(ENDPOINTS, namespace, name, { preconditions: { uid: current.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** The plan for one manager's slices; slices of this name not owned by this Service are deleted. */
  private planFor(service: Service, manager: SliceManager, owner: SliceOwner, groups: EndpointGroup[], opts: { triggerTime?: string; placeholder: boolean }): SlicePlan {
    const mine = this.opts.caches.slicesOf(owner.namespace, owner.name).filter((s) => s.metadata?.labels?.[LABEL_MANAGED_BY] === manager);
    const owned = mine.filter((s) => (s.metadata?.ownerReferences ?? []).some((r) => r.uid === service.metadata?.uid && r.kind === 'Service'));
    const strangers = mine.filter((s) => !owned.includes(s));
    const plan = groups.length === 0 && !opts.placeholder ? { create: [], update: [], delete: owned } : planSlices(owner, groups, owned, { maxEndpointsPerSlice: this.opts.maxEndpointsPerSlice, ...opts });
    plan.delete.push(...strangers);
    return plan;
  }

  /** Creates first, then updates, then deletes (traffic keeps flowing while slices move), as Kubernetes orders them. */
  private async apply(serviceKey: string, plan: SlicePlan): Promise<void> {
    if (isEmptyPlan(plan)) return;
    const { registry, sliceTracker } = this.opts;
    for (const slice of plan.create) {
      const created = (await registry.create(ENDPOINT_SLICES, slice.metadata?.namespace, slice as unknown as KubeObject)) as unknown as EndpointSlice;
      sliceTracker.written(serviceKey, created);
    }
    for (const slice of plan.update) {
      const updated = (await registry.update(ENDPOINT_SLICES, slice.metadata?.namespace, slice.metadata?.name ?? '', slice as unknown as KubeObject)) as unknown as EndpointSlice;
      sliceTracker.written(serviceKey, updated);
    }
    for (const slice of plan.delete) {
      const sliceName = slice.metadata?.name ?? '';
      try {
        await registry.delete(ENDPOINT_SLICES, slice.metadata?.namespace, sliceName, { preconditions: { uid: slice.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      sliceTracker.deleted(serviceKey, sliceName);
    }
  }

  private warn(service: Service, source: { component: string }, reason: string, message: string): Promise<void> {
    const ref = { kind: 'Service', apiVersion: 'v1', namespace: service.metadata?.namespace, name: service.metadata?.name ?? '', uid: service.metadata?.uid };
    return this.opts.events.record(ref, 'Warning', reason, message, { source });
  }
}

/** The labels of managed slices: the Service's own (reserved ones dropped), headless, name, manager. */
export function managedLabels(service: Service, headless: boolean): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata?.labels ?? {})) {
    if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY && k !== LABEL_HEADLESS) labels[k] = v;
  }
  if (headless) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = service.metadata?.name ?? '';
  labels[LABEL_MANAGED_BY] = SLICE_CONTROLLER;
  return labels;
}

function identity(service: Service): { namespace: string; name: string; key: string } {
  const namespace = service.metadata?.namespace ?? '';
  const name = service.metadata?.name ?? '';
  return { namespace, name, key: objectKey(SERVICES, namespace, name) };
}

/** A uid precondition failed: the object of that name is another one now, not ours to delete. */
function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409;
}

