/**
 * The scheduler framework's small interfaces (after kube-scheduler's): a plugin has a Name and
 * implements Filter (may this pod run on this node?) or Score (how good is this node, 0–100).
 */
import type { JsonObject, KubeObject } from '../api/object.ts';
import type { HostPort, HostPortUsage } from './host-ports.ts';
import type { NodeFacts } from './node-facts.ts';
import type { PodClaims, StorageLookup } from './plugins/volume-binding.ts';
import type { Resources } from './resources.ts';

/**
 * A node as the scheduler sees it: the object plus what is already placed on it (bound pods and
 * pods this scheduler assumed there), kept up to date by the cache as pods come and go — never
 * re-summed for a scheduling decision.
 */
export interface NodeInfo {
  name: string;
  node: KubeObject;
  /** What the filters read from `node`, worked out when it changed. */
  facts: NodeFacts;
  allocatable: Resources;
  /** Sum of the requests of the pods placed on the node (not Succeeded or Failed). */
  requested: Resources;
  /** The same with Kubernetes' non-zero defaults for pods that request nothing (for scoring). */
  nonZeroRequested: Resources;
  /** Number of pods placed on the node. */
  podCount: number;
  /** Host ports the placed pods hold. */
  usedPorts: HostPortUsage;
}

/** What a pod asks for, computed once per scheduling attempt. */
export interface PodInfo {
  pod: KubeObject;
  requests: Resources;
  nonZeroRequests: Resources;
  /** The host ports it asks for (NodePorts). */
  hostPorts: HostPort[];
  /** spec.tolerations. */
  tolerations: JsonObject[];
  /** Its PersistentVolumeClaims as VolumeBinding's PreFilter sorted them, and the storage caches (absent: it uses none). */
  volumes?: { claims: PodClaims; lookup: StorageLookup };
}

/** A failed filter: the reasons as kube-scheduler words them (`Insufficient cpu`). */
export interface FilterFailure {
  reasons: string[];
}

export interface FilterPlugin {
  readonly name: string;
  /**
   * PreFilter's Skip, as kube-scheduler's: true when the filter has nothing to check for this pod
   * (no nodeSelector, no host ports, no claims…), so it is not run on any node of the decision.
   */
  skips?(pod: PodInfo): boolean;
  /** undefined: the node fits; otherwise why not. */
  filter(pod: PodInfo, node: NodeInfo): FilterFailure | undefined;
}

export interface ScorePlugin {
  readonly name: string;
  /** 0 (worst) to 100 (best). */
  score(pod: PodInfo, node: NodeInfo): number;
}
