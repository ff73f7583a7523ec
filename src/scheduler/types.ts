/**
 * The scheduler framework's small interfaces (after kube-scheduler's): a plugin has a Name and
 * implements Filter (may this pod run on this node?) or Score (how good is this node, 0–100).
 * PreFilter and PreScore work out, once per decision, what Filter and Score then read per node
 * (kube-scheduler's CycleState: here `PodInfo.cycle`, keyed by plugin name); the cluster they
 * read is a `ClusterView` (the cache: NodeInfos, per-node counts of pods a selection matches,
 * the placed pods with pod (anti-)affinity), so no plugin walks every pod per decision.
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
  /** The pods placed on the node by uid (bound and assumed): preemption's candidates; no decision walks them otherwise. */
  pods: ReadonlyMap<string, KubeObject>;
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
  /** `spec.priority` (0 when absent). */
  priority: number;
  /** kube-scheduler's CycleState: what each plugin's PreFilter/PreScore worked out for this attempt, by plugin name. */
  cycle: Map<string, unknown>;
}

/** Which placed pods a plugin counts (a term's or a constraint's namespaces and label selector). */
export interface PodSelection {
  /** Identifies the selection: equal keys select the same pods. */
  readonly key: string;
  /** True when the selection uses namespaces' labels (its counts are dropped when a namespace's labels change). */
  readonly readsNamespaceLabels: boolean;
  matches(pod: KubeObject, namespaceLabels: (namespace: string) => Record<string, string> | undefined): boolean;
}

/** Placed pods that share one namespace and one pod (anti-)affinity (a workload's replicas), counted per node. */
export interface AffinityGroup {
  namespace: string;
  /** `spec.affinity` of the group's pods (podAffinity and podAntiAffinity only). */
  affinity: JsonObject;
  /** node name → pods of the group placed there. */
  perNode: ReadonlyMap<string, number>;
}

/** What PreFilter and PreScore read of the cluster (the scheduler's cache implements it). */
export interface ClusterView {
  /** Every known node. */
  nodeInfos(): readonly NodeInfo[];
  nodeInfo(name: string): NodeInfo | undefined;
  /** node name → placed pods (bound and assumed) the selection matches; nodes with none are absent. Kept up to date by pod events, not recounted per decision. */
  podCounts(selection: PodSelection): ReadonlyMap<string, number>;
  /** Placed pods with pod affinity or anti-affinity, grouped by their terms. */
  affinityGroups(): Iterable<AffinityGroup>;
  namespaceLabels(namespace: string): Record<string, string> | undefined;
}

/** A failed filter: the reasons as kube-scheduler words them (`Insufficient cpu`). */
export interface FilterFailure {
  reasons: string[];
  /** kube-scheduler's UnschedulableAndUnresolvable: evicting pods from the node would not help (preemption skips it). */
  unresolvable?: boolean;
}

/** PreFilter's AddPod/RemovePod extensions: preemption asks how the state reads with a pod removed or added. */
export interface PreFilterExtensions {
  /** A copy of the plugin's state that `addPod`/`removePod` may change. */
  clone(state: unknown): unknown;
  addPod(pod: PodInfo, state: unknown, added: KubeObject, node: NodeInfo): void;
  removePod(pod: PodInfo, state: unknown, removed: KubeObject, node: NodeInfo): void;
}

export interface FilterPlugin {
  readonly name: string;
  /** PreFilter: once per decision, before any node; writes what filter reads to `pod.cycle`. */
  preFilter?(pod: PodInfo, cluster: ClusterView): void;
  preFilterExtensions?: PreFilterExtensions;
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
  /** The plugin's weight in the sum of scores (kube-scheduler's default profile: NodeAffinity 2, TaintToleration 3, InterPodAffinity 2, PodTopologySpread 2, others 1). */
  readonly weight?: number;
  /** PreScore's Skip: nothing to score for this pod (every node would get the same). */
  skips?(pod: PodInfo): boolean;
  /** PreScore: once per decision, over the nodes that passed the filters; writes what score reads to `pod.cycle`. */
  preScore?(pod: PodInfo, feasible: readonly NodeInfo[], cluster: ClusterView): void;
  /** The node's raw score (0 to 100 unless `normalize` maps it there). */
  score(pod: PodInfo, node: NodeInfo): number;
  /** NormalizeScore: the raw scores of `nodes` (same order) mapped to 0–100, in place. */
  normalize?(pod: PodInfo, scores: number[], nodes: readonly NodeInfo[]): void;
}
