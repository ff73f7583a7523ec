/** The node machine's vocabulary: input, events and named effects. */
import type { NodeCondition } from 'kubernetes-types/core/v1.js';

/** Resource quantities as Kubernetes writes them (`{ cpu: '2', memory: '8Gi', pods: '110' }`). */
export type ResourceList = Record<string, string>;

/** What a node machine is created with. */
export interface NodeMachineInput {
  name: string;
  /** No heartbeat for this long: Ready becomes Unknown (node-monitor-grace-period; a flag). */
  notReadyGraceMs: number;
  /** Unreachable for this much longer: the node's pods are failed (pod-eviction-timeout; a flag). */
  podFailGraceMs: number;
  /**
   * When the actor started watching this node (epoch ms): a node that never sends a heartbeat
   * goes NotReady one grace after this, as Kubernetes marks never-updated nodes Unknown.
   */
  registeredAt?: number;
}

/** What the daemon says about itself: its health and its resources. */
export interface DaemonReport {
  at: number;
  /** The daemon and its container runtime are healthy (the kubelet's Ready True/False). */
  ready: boolean;
  capacity: ResourceList;
  allocatable: ResourceList;
  /** Why the daemon is not ready, when it is not. */
  message?: string;
}

/** Events the node machine accepts; `at` is epoch ms stamped by the sender's clock. */
export type NodeMachineEvent =
  /** The node daemon is alive (its Lease was renewed) and reports its health. */
  | ({ type: 'node.heartbeat' } & DaemonReport)
  /**
   * The daemon's report changed on the Node object without a heartbeat of its own (the Lease
   * renewal that carried it was already counted): it can change Ready, never reachability.
   */
  | ({ type: 'node.statusReported' } & DaemonReport)
  /**
   * A master noted that the node's connection to it closed (the connection-lost note on its
   * Lease): a hint, reported as the reason if the node goes unreachable; it changes no state.
   */
  | { type: 'node.connectionLost'; at: number; master: string }
  /** Remove the node from the cluster. */
  | { type: 'node.terminate'; at: number };

/** A Kubernetes Event to record against the node. */
export interface NodeEventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Taint effects the node lifecycle controller applies (both, for not-ready and unreachable). */
export type TaintEffect = 'NoSchedule' | 'NoExecute';

/** Named effects (no-op actions in the machine, supplied with `nodeMachine.provide`). */
export interface NodeEffectParams {
  recordEvent: NodeEventRecord;
  /** Write these conditions into the Node's status (other conditions are kept). */
  writeConditions: { nodeName: string; conditions: NodeCondition[] };
  /** Put taint `key` on the Node with these effects (NoExecute stamped with `timeAdded`). */
  taint: { nodeName: string; key: string; effects: TaintEffect[] };
  /** Take every taint with `key` off the Node. */
  untaint: { nodeName: string; key: string };
  /**
   * The node is lost: each of its pods that has not finished is told so through its own pod
   * actor (`node.lost`), which fails it (Failed, reason NodeLost); controllers recreate them.
   */
  failPods: { nodeName: string };
  /** Delete every pod bound to the node: it is leaving the cluster. */
  deletePods: { nodeName: string };
}
