/**
 * The data-plane parts the node network starts once its pod bridge exists: the service proxy
 * (nftables), the cluster DNS server on the bridge's gateway, and pods' resolv.conf.
 */
import type { NodeNetworkOptions } from './node-network.ts';

export interface DataplaneOptions {
  nodeName: string;
  nodeIP: string;
  scope: string;
  clusterDomain: string;
  dnsPort: number;
  log(line: string): void;
}

export function dataplaneParts(_opts: DataplaneOptions): Pick<NodeNetworkOptions, 'startProxy' | 'startDns' | 'resolvConf'> {
  throw new Error('MERGE-PENDING: proxy and DNS parts');
}
