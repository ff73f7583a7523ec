/**
 * The data-plane parts the node network starts once its pod bridge exists: the service proxy
 * (nftables, ./proxy), the cluster DNS server on the bridge's gateway (./dns), and pods'
 * resolv.conf naming that server.
 */
import { readFileSync } from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podResolvConf, startClusterDnsServer } from './dns/index.ts';
import type { NodeNetworkOptions } from './node-network.ts';
import { ServiceProxy } from './proxy/service-proxy.ts';
import { errorMessage } from '../../src/api/error-message.ts';

export interface DataplaneOptions {
  nodeName: string;
  /** Names this daemon's nft table (`kactus-<scope>`): one table per daemon on a kernel. */
  scope: string;
  clusterDomain: string;
  dnsPort: number;
  log(line: string): void;
}

/** The host's resolver configuration: what `dnsPolicy: Default` pods get, read once. */
function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

export function dataplaneParts(opts: DataplaneOptions): Pick<NodeNetworkOptions, 'startProxy' | 'startDns' | 'resolvConf'> {
  const prefix = `kactus: node ${opts.nodeName}:`;
  const host = hostResolvConf();
  return {
    async startProxy(bridge, clusterCIDR) {
      const proxy = new ServiceProxy({
        table: `kactus-${opts.scope}`,
        nodeName: opts.nodeName,
        clusterCIDR,
        podCIDR: bridge.podCIDR,
        log: (line) => opts.log(`${prefix} proxy: ${line}`),
      });
      return {
        sync: (services, slices) =>
          // A failed apply keeps the previous table and the next change retries; say why meanwhile.
          void proxy.sync({ services, endpointSlices: slices }).catch((err: unknown) => opts.log(`${prefix} proxy: ${errorMessage(err)}`)),
        close: () => proxy.close(),
      };
    },
    async startDns(bridge) {
      const server = await startClusterDnsServer({
        address: bridge.gatewayIP,
        port: opts.dnsPort,
        zone: opts.clusterDomain,
        log: (line) => opts.log(`${prefix} dns: ${line}`),
      });
      return { update: (services, slices) => void server.update(services, slices), close: () => server.close() };
    },
    resolvConf: (pod, nameserver) => podResolvConf(pod as Pod, { nameserver, clusterDomain: opts.clusterDomain, hostResolvConf: host }),
  };
}
