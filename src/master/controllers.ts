/**
 * The workload controllers the elected leader runs beside the scheduler and the node controller.
 * Each kind's controller lives in its own folder under src/actors/ and exports a factory; this
 * list is the one place they are registered.
 */
import type { Logger } from 'pino';
import { cronJobControllerFactory } from '../actors/cronjob/controller.ts';
import { daemonSetControllerFactory } from '../actors/daemonset/controller.ts';
import { deploymentControllerFactory } from '../actors/deployment/controller.ts';
import { garbageCollectorFactory } from '../actors/gc/collector.ts';
import { hpaControllerFactory } from '../actors/hpa/controller.ts';
import { jobControllerFactory } from '../actors/job/controller.ts';
import { nodeIpamControllerFactory } from '../actors/nodeipam/controller.ts';
import type { PodNetworkConfig } from '../actors/nodeipam/config.ts';
import { replicaSetControllerFactory, replicationControllerFactory } from '../actors/replicaset/controller.ts';
import { serviceControllerFactory } from '../actors/service/controller.ts';
import type { InspectionBus } from '../actors/inspection.ts';
import type { Registry } from '../apiserver/registry/registry.ts';
import type { ServiceRanges } from '../apiserver/registry/allocators/ranges.ts';
import { AllocationRepair } from '../apiserver/registry/allocators/repair.ts';
import type { PodMetricsSource } from '../metrics/types.ts';
import type { Store } from '../store/types.ts';
import type { EventSink } from './event-recorder.ts';
import { kubernetesServiceFactory } from './kubernetes-service.ts';

/** What a controller gets: the store to watch, the Registry to write through, events, logs. */
export interface ControllerDeps {
  store: Store;
  registry: Registry;
  events: EventSink;
  /** Every actor's transitions go here (logs, the event stream, the visualizer). */
  bus: InspectionBus;
  /** Pods' and nodes' resource usage reported by node daemons (the HPA reads it). */
  metrics: PodMetricsSource;
  logger: Logger;
  now: () => Date;
  /** The cluster CIDR and the size of each node's block (node IPAM). */
  network: PodNetworkConfig;
  /** The service CIDR and node port range Services allocate from (`--service-cluster-ip-range`, `--service-node-port-range`). */
  serviceRanges: ServiceRanges;
}

/** A leader-only loop: started when this master becomes leader, stopped when it stops leading. */
export interface Controller {
  start(): Promise<void>;
  stop(): Promise<void> | void;
}

export type ControllerFactory = (deps: ControllerDeps) => Controller;

/** Registered controllers by name, started in this order. */
export const CONTROLLERS: readonly (readonly [string, ControllerFactory])[] = [
  ['nodeipam', nodeIpamControllerFactory],
  ['deployment', deploymentControllerFactory],
  ['replicaset', replicaSetControllerFactory],
  ['replicationcontroller', replicationControllerFactory],
  ['daemonset', daemonSetControllerFactory],
  ['job', jobControllerFactory],
  ['cronjob', cronJobControllerFactory],
  ['horizontalpodautoscaler', (deps) => hpaControllerFactory(deps.metrics)(deps)],
  ['garbagecollector', garbageCollectorFactory],
  // Kubernetes' endpoints, endpointslice and endpointslicemirroring controllers: one Service machine each.
  ['service', serviceControllerFactory],
  // default/kubernetes: its ClusterIP, and Endpoints/EndpointSlice naming every master's API address.
  ['kubernetesservice', kubernetesServiceFactory],
  ['serviceallocationrepair', (deps) => new AllocationRepair({ store: deps.store, ranges: deps.serviceRanges, events: deps.events, logger: deps.logger })],
];
