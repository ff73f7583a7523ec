/** The cluster's pod network: what `--cluster-cidr` and `--node-cidr-mask-size` say (no imports: the CLI loads it). */
export interface PodNetworkConfig {
  clusterCIDR: string;
  nodeCIDRMaskSize: number;
}

export const DEFAULT_POD_NETWORK: PodNetworkConfig = { clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24 };
