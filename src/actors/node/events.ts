/** The node machine's vocabulary: input, events and named effects. */

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

/** Events the node machine accepts; `at` is epoch ms stamped by the sender's clock. */
export type NodeMachineEvent =
  /** The node daemon is alive; `ready` says whether it and its runtime are healthy. */
  | {
      type: 'node.heartbeat';
      at: number;
      ready: boolean;
      capacity: ResourceList;
      allocatable: ResourceList;
      /** Why the daemon is not ready, when it is not. */
      message?: string;
    }
  /** Remove the node from the cluster. */
  | { type: 'node.terminate'; at: number };

/** A Kubernetes Event to record against the node. */
export interface NodeEventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Named effects (no-op actions in the machine, supplied with `nodeMachine.provide`). */
export interface NodeEffectParams {
  recordEvent: NodeEventRecord;
  /** Mark every pod bound to the node Failed (reason NodeLost); controllers recreate them elsewhere. */
  failPods: { nodeName: string };
  /** Delete every pod bound to the node: it is leaving the cluster. */
  deletePods: { nodeName: string };
}
