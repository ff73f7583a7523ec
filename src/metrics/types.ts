/**
 * Resource usage as the node daemons report it and the master serves it (metrics-server's
 * model): the latest sample per pod and per node, nothing older. Numbers are plain base units.
 */

/** One container's usage in one sample. */
export interface ContainerUsage {
  name: string;
  /** CPU in nanocores (1e9 = one full core), averaged over the sample window. */
  cpuNanoCores: number;
  /** Working set in bytes. */
  memoryBytes: number;
}

/** The latest usage of one pod. */
export interface PodUsage {
  namespace: string;
  name: string;
  containers: ContainerUsage[];
  /** Epoch ms the sample was taken. */
  timestamp: number;
  /** Seconds the CPU figure is averaged over (metrics-server: 15). */
  windowSeconds: number;
}

/** The latest usage of one node: the sum of its pods (kactus measures no system overhead). */
export interface NodeUsage {
  name: string;
  cpuNanoCores: number;
  memoryBytes: number;
  timestamp: number;
  windowSeconds: number;
}

/**
 * The body of the `node.metrics` mesh message a node daemon sends every sample: all of its pods
 * at once, so a pod missing from a sample has gone from that node.
 */
export interface NodeMetricsSample {
  /** The reporting node's name. */
  node: string;
  /** Epoch ms the sample was taken (the node's clock). */
  timestamp: number;
  windowSeconds: number;
  pods: { namespace: string; name: string; containers: ContainerUsage[] }[];
}

/** What the API server (metrics.k8s.io) and the HPA controller read usage from. */
export interface PodMetricsSource {
  /** Pods' latest usage; one namespace, or all when `namespace` is undefined. */
  listPods(namespace?: string): PodUsage[];
  getPod(namespace: string, name: string): PodUsage | undefined;
  listNodes(): NodeUsage[];
  getNode(name: string): NodeUsage | undefined;
}
