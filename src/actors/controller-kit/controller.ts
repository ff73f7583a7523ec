/**
 * What a controller is and what it gets: the contract between the workload controllers
 * (src/actors/*) and the process that hosts them (src/master composes ControllerDeps and starts
 * them on the leader). It sits with the controllers, so no kind imports its host.
 */
import type { Logger } from 'pino';
import type { PodMetricsSource } from '../../metrics/types.ts';
import type { ServiceRanges } from '../../registry/allocators/ranges.ts';
import type { EventSink } from '../../registry/event-recorder.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Store } from '../../store/types.ts';
import type { InspectionBus } from '../inspection.ts';
import type { PodNetworkConfig } from '../nodeipam/config.ts';

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
  /** The cluster CA (PEM): what the `kube-root-ca.crt` ConfigMaps publish to pods. */
  caCertPem: string;
  /** How often every HorizontalPodAutoscaler is evaluated (`--horizontal-pod-autoscaler-sync-period`; default 15 s). */
  horizontalPodAutoscalerSyncPeriodMs?: number;
}

/** A leader-only loop: started when this master becomes leader, stopped when it stops leading. */
export interface Controller {
  start(): Promise<void>;
  stop(): Promise<void> | void;
}

export type ControllerFactory = (deps: ControllerDeps) => Controller;
