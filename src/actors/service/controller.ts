/**
 * The Service controller: Kubernetes' endpointslice, endpoints and endpointslicemirroring
 * controllers in one, with one Service machine (machine.ts) per Service deciding which of them
 * applies. Leader-only (src/master/controllers.ts).
 *
 * Informer handlers only compute the Service keys a change concerns and queue them — a pod's
 * Services (its labels, old and new, against the selectors of its namespace), a slice's or an
 * Endpoints' Service (by name). `sync(key)` sends the Service's machine what the stored Service
 * says (`service.synced`) or that it is gone (`service.deleted`); the machine's transition runs
 * the named effects (effects.ts), which the sync awaits: a failure is retried with backoff by the
 * work queue. No batching delay: a pod's readiness change reaches its slices in one sync.
 */
import { createActor, type Actor } from 'xstate';
import pino, { type Logger } from 'pino';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.d.ts';
import { objectKey } from '../../api/metadata.ts';
import type { KubeObject } from '../../api/object.ts';
import { LabelSelector } from '../../api/selectors.ts';
import type { ControllerDeps, ControllerFactory } from '../controller-kit/controller.ts';
import { objectInformer, type ObjectInformer } from '../../registry/informers.ts';
import { startInOrder, stopAll, type OwnerControllerOptions } from '../controller-kit/object-actors.ts';
import { WorkQueue } from '../controller-kit/work-queue.ts';
import { InspectionBus, stateValueToString } from '../inspection.ts';
import { ServiceEffects, type ServiceCaches } from './effects.ts';
import { serviceFacts, serviceMachine, type ServiceMachineEvent, type ServiceMachineInput } from './machine.ts';
import { ENDPOINTS, ENDPOINT_SLICES, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_TOPOLOGY_ZONE, MIRRORING_CONTROLLER, NODES, PODS, SERVICES, SLICE_CONTROLLER } from './names.ts';
import { podEndpointsChanged } from './pod-endpoints.ts';
import { SliceTracker } from './slice-tracker.ts';
import { TriggerTimeTracker } from './trigger-time.ts';

export interface ServiceControllerOptions extends OwnerControllerOptions {
  /** Most endpoints per slice (Kubernetes' --max-endpoints-per-slice: 100). */
  maxEndpointsPerSlice?: number;
}

type ServiceActor = Actor<typeof serviceMachine>;

/** A sync skipped for a cache behind our own writes looks again after this long at the latest. */
const STALE_RECHECK_MS = 1_000;

/** One Service's actor, the Service it last synced, and the effects its current transition started. */
interface Entry {
  uid: string;
  actor: ServiceActor;
  service?: Service;
  pending: Promise<void>[];
}

/** Objects of one namespace by informer key. */
type ByNamespace<T> = Map<string, Map<string, T>>;

export class ServiceController {
  private readonly services: ObjectInformer;
  private readonly pods: ObjectInformer;
  private readonly slices: ObjectInformer;
  private readonly endpoints: ObjectInformer;
  private readonly nodes: ObjectInformer;
  private readonly servicesByNamespace: ByNamespace<Service> = new Map();
  private readonly podsByNamespace: ByNamespace<Pod> = new Map();
  /** Slices by `<namespace>/<service name>`, then slice name. */
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  private readonly actors = new Map<string, Entry>();
  private readonly queue: WorkQueue;
  private readonly effects: ServiceEffects;
  private readonly sliceTracker = new SliceTracker();
  private readonly triggerTimes = new TriggerTimeTracker();
  private readonly bus: InspectionBus;
  private readonly log: Logger;
  private started = false;

  constructor(opts: ServiceControllerOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.bus = opts.bus ?? new InspectionBus();
    this.queue = new WorkQueue((key) => this.sync(key), {
      workers: opts.workers,
      onError: (key, err) => this.log.warn({ err, key }, 'service endpoints sync failed; retrying'),
    });
    const caches: ServiceCaches = {
      selectedPods: (svc) => this.selectedPods(svc),
      zoneOf: (node) => (node ? this.nodes.get(objectKey(NODES, undefined, node))?.metadata?.labels?.[LABEL_TOPOLOGY_ZONE] : undefined),
      slicesOf: (ns, name) => [...(this.slicesByService.get(`${ns}/${name}`)?.values() ?? [])],
      endpointsOf: (ns, name) => this.endpoints.get(objectKey(ENDPOINTS, ns, name)) as Endpoints | undefined,
    };
    this.effects = new ServiceEffects({
      registry: opts.registry,
      events: opts.events,
      caches,
      sliceTracker: this.sliceTracker,
      triggerTimes: this.triggerTimes,
      maxEndpointsPerSlice: opts.maxEndpointsPerSlice,
    });

    this.services = objectInformer(opts.store, SERVICES, {
      onAdd: (svc, key) => this.serviceChanged(svc as Service, key, true),
      onUpdate: (_old, svc, key) => this.serviceChanged(svc as Service, key, true),
      onDelete: (svc, key) => this.serviceChanged(svc as Service, key, false),
    });
    this.pods = objectInformer(opts.store, PODS, {
      onAdd: (pod, key) => this.podChanged(undefined, pod as Pod, key),
      onUpdate: (old, pod, key) => this.podChanged(old as Pod, pod as Pod, key),
      onDelete: (pod, key) => this.podChanged(pod as Pod, undefined, key),
    });
    this.slices = objectInformer(opts.store, ENDPOINT_SLICES, {
      onAdd: (s) => this.sliceChanged(undefined, asSlice(s)),
      onUpdate: (old, s) => this.sliceChanged(asSlice(old), asSlice(s)),
      onDelete: (s) => this.sliceChanged(asSlice(s), undefined),
    });
    this.endpoints = objectInformer(opts.store, ENDPOINTS, {
      onAdd: (ep) => this.endpointsChanged(ep, false),
      onUpdate: (_old, ep) => this.endpointsChanged(ep, false),
      onDelete: (ep) => this.endpointsChanged(ep, true),
    });
    this.nodes = objectInformer(opts.store, NODES, {
      onUpdate: (old, node) => {
        if (old.metadata?.labels?.[LABEL_TOPOLOGY_ZONE] !== node.metadata?.labels?.[LABEL_TOPOLOGY_ZONE]) this.queueServicesOnNode(node.metadata?.name ?? '');
      },
    });
  }

  /** Starts the caches (what a Service's sync reads first, Services last), then the queue. */
  async start(): Promise<void> {
    await startInOrder([this.pods, this.nodes, this.slices, this.endpoints, this.services], this.queue);
    this.started = true;
    // Kubernetes' checkLeftoverEndpoints: Endpoints whose Service went while no leader ran.
    for (const [, ep] of this.endpoints.entries()) {
      const ns = ep.metadata?.namespace ?? '';
      const name = ep.metadata?.name ?? '';
      if (!this.services.get(objectKey(SERVICES, ns, name))) this.queue.add(objectKey(SERVICES, ns, name));
    }
  }

  stop(): void {
    stopAll(this.queue, [this.services, this.pods, this.slices, this.endpoints, this.nodes]);
    for (const entry of this.actors.values()) entry.actor.stop();
    this.actors.clear();
  }

  /** The Service's machine state (`selecting.virtualIP`, `selectorless`, …), for tests and the UI. */
  stateOf(namespace: string, name: string): string | undefined {
    const entry = this.actors.get(objectKey(SERVICES, namespace, name));
    return entry ? stateValueToString(entry.actor.getSnapshot().value) : undefined;
  }

  /** True when no sync is queued or running (tests wait on it). */
  idle(): boolean {
    return this.queue.length === 0;
  }

  // ---- sync ----

  private async sync(key: string): Promise<void> {
    const service = this.services.get(key) as Service | undefined;
    const namespace = service?.metadata?.namespace ?? namespaceOfKey(key);
    const name = service?.metadata?.name ?? nameOfKey(key);
    // Our own slice writes are not in the cache yet: their informer events will queue the Service
    // again (and, should one never come, so does this timer).
    if (this.sliceTracker.stale(key, this.slicesByService.get(`${namespace}/${name}`) ?? new Map())) {
      this.queue.addAfter(key, STALE_RECHECK_MS);
      return;
    }

    let entry = this.actors.get(key);
    if (entry && service && entry.uid !== service.metadata?.uid) {
      // The name was deleted and created again between two syncs: finish the old one first.
      await this.run(entry, { type: 'service.deleted' });
      this.drop(key);
      entry = undefined;
    }
    if (service) {
      entry ??= this.spawn(key, { namespace, name, uid: service.metadata?.uid ?? '' });
      entry.service = service;
      await this.run(entry, { type: 'service.synced', ...serviceFacts(service) });
      return;
    }
    if (!entry) {
      if (!this.endpoints.get(objectKey(ENDPOINTS, namespace, name)) && (this.slicesByService.get(`${namespace}/${name}`)?.size ?? 0) === 0) return;
      // Leftovers of a Service deleted while this controller did not run: a machine to clean them up.
      entry = this.spawn(key, { namespace, name, uid: '' });
    }
    await this.run(entry, { type: 'service.deleted' });
    this.drop(key);
  }

  /** Sends `event` and waits for the effects its transition started; the first failure is thrown. */
  private async run(entry: Entry, event: ServiceMachineEvent): Promise<void> {
    entry.pending = [];
    entry.actor.send(event);
    const results = await Promise.allSettled(entry.pending);
    entry.pending = [];
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private spawn(key: string, input: ServiceMachineInput): Entry {
    const entry: Entry = { uid: input.uid, actor: undefined as unknown as ServiceActor, pending: [] };
    const { namespace, name } = input;
    const machine = serviceMachine.provide({
      actions: {
        reconcileEndpoints: (_, params) => void entry.pending.push(this.effects.reconcileEndpoints(entry.service as Service, params.headless)),
        mirrorEndpoints: () => void entry.pending.push(this.effects.mirrorEndpoints(entry.service as Service)),
        deleteSlices: (_, params) => void entry.pending.push(this.effects.deleteSlices(namespace, name, params.managedBy)),
        deleteEndpoints: () => void entry.pending.push(this.effects.deleteEndpoints(namespace, name)),
      },
    });
    const inspect = this.bus.inspectorFor({ kind: 'Service', namespace, name, uid: input.uid });
    entry.actor = createActor(machine, { input, inspect }).start();
    this.actors.set(key, entry);
    return entry;
  }

  private drop(key: string): void {
    this.actors.get(key)?.actor.stop();
    this.actors.delete(key);
    this.triggerTimes.forget(key);
    this.sliceTracker.forget(key);
  }

  // ---- caches and handlers: compute keys, queue them ----

  private selectedPods(service: Service): Pod[] {
    const selector = service.spec?.selector ?? {};
    if (Object.keys(selector).length === 0) return [];
    const matcher = LabelSelector.fromSet(selector);
    const pods = this.podsByNamespace.get(service.metadata?.namespace ?? '')?.values() ?? [];
    return [...pods].filter((p) => matcher.matches(p.metadata?.labels));
  }

  private serviceChanged(service: Service, key: string, present: boolean): void {
    const ns = service.metadata?.namespace ?? '';
    const services = index(this.servicesByNamespace, ns);
    if (present) services.set(key, service);
    else services.delete(key);
    this.queue.add(key);
  }

  private podChanged(old: Pod | undefined, pod: Pod | undefined, key: string): void {
    const ns = (pod ?? old)?.metadata?.namespace ?? '';
    const pods = index(this.podsByNamespace, ns);
    if (pod) pods.set(key, pod);
    else pods.delete(key);
    // GetServicesToUpdateOnPodChange: an update that changes neither labels nor endpoint facts concerns no Service.
    const labelsChanged = JSON.stringify(old?.metadata?.labels ?? {}) !== JSON.stringify(pod?.metadata?.labels ?? {});
    if (old && pod && !labelsChanged && !podEndpointsChanged(old, pod)) return;
    for (const [svcKey, svc] of this.servicesByNamespace.get(ns) ?? []) {
      const selector = svc.spec?.selector ?? {};
      if (Object.keys(selector).length === 0) continue;
      const matcher = LabelSelector.fromSet(selector);
      if ((old && matcher.matches(old.metadata?.labels)) || (pod && matcher.matches(pod.metadata?.labels))) this.queue.add(svcKey);
    }
  }

  private sliceChanged(old: EndpointSlice | undefined, slice: EndpointSlice | undefined): void {
    for (const s of [old, slice]) {
      const service = s?.metadata?.labels?.[LABEL_SERVICE_NAME];
      if (!s || !service) continue;
      const byName = this.slicesByService.get(`${s.metadata?.namespace ?? ''}/${service}`);
      byName?.delete(s.metadata?.name ?? '');
      if (byName?.size === 0) this.slicesByService.delete(`${s.metadata?.namespace ?? ''}/${service}`);
    }
    const service = slice?.metadata?.labels?.[LABEL_SERVICE_NAME];
    if (slice && service) {
      const groupKey = `${slice.metadata?.namespace ?? ''}/${service}`;
      let byName = this.slicesByService.get(groupKey);
      if (!byName) this.slicesByService.set(groupKey, (byName = new Map()));
      byName.set(slice.metadata?.name ?? '', slice);
    }
    for (const s of [old, slice]) {
      const svcName = s?.metadata?.labels?.[LABEL_SERVICE_NAME];
      const manager = s?.metadata?.labels?.[LABEL_MANAGED_BY];
      if (!s || !svcName || (manager !== SLICE_CONTROLLER && manager !== MIRRORING_CONTROLLER)) continue;
      const svcKey = objectKey(SERVICES, s.metadata?.namespace, svcName);
      if (!slice && s === old) this.sliceTracker.observedDeletion(svcKey, s.metadata?.name ?? '');
      this.queue.add(svcKey);
    }
  }

  private endpointsChanged(ep: KubeObject, deleted: boolean): void {
    const key = objectKey(SERVICES, ep.metadata?.namespace, ep.metadata?.name ?? '');
    // A deletion may need the Endpoints back; a write matters to a Service that exists (mirroring,
    // or repairing a managed one). Endpoints without a Service are checked once, at start.
    if (deleted || (this.started && this.services.get(key))) this.queue.add(key);
  }

  private queueServicesOnNode(nodeName: string): void {
    const keys = new Set<string>();
    for (const [ns, pods] of this.podsByNamespace) {
      for (const pod of pods.values()) {
        if (pod.spec?.nodeName !== nodeName) continue;
        for (const [svcKey, svc] of this.servicesByNamespace.get(ns) ?? []) {
          const selector = svc.spec?.selector ?? {};
          if (Object.keys(selector).length > 0 && LabelSelector.fromSet(selector).matches(pod.metadata?.labels)) keys.add(svcKey);
        }
      }
    }
    for (const k of keys) this.queue.add(k);
  }
}

/** Stored slices passed validation: they have the EndpointSlice shape. */
const asSlice = (obj: KubeObject): EndpointSlice => obj as unknown as EndpointSlice;

function index<T>(map: ByNamespace<T>, ns: string): Map<string, T> {
  let m = map.get(ns);
  if (!m) map.set(ns, (m = new Map()));
  return m;
}

/** `/registry/core/services/<ns>/<name>` → ns. */
function namespaceOfKey(key: string): string {
  const parts = key.split('/');
  return parts[parts.length - 2] ?? '';
}

function nameOfKey(key: string): string {
  const parts = key.split('/');
  return parts[parts.length - 1] ?? '';
}

/** The Service controller (endpoints, endpoint slices, mirroring). */
export const serviceControllerFactory: ControllerFactory = (deps: ControllerDeps) =>
  new ServiceController({ store: deps.store, registry: deps.registry, events: deps.events, bus: deps.bus, logger: deps.logger });
