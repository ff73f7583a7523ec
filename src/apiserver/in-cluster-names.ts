/**
 * The names a client inside the cluster uses for the API server, which its serving certificate
 * must carry (as kube-apiserver adds them to its self-signed certificate): the `default/kubernetes`
 * Service's ClusterIP — the first address of the service CIDR — and its DNS names, short to fully
 * qualified. A pod verifies the API with its mounted `ca.crt` against whichever it dialled.
 */
import { firstServiceIP, type ServiceRanges } from '../registry/allocators/ranges.ts';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** `10.96.0.1`, `kubernetes`, `kubernetes.default`, `kubernetes.default.svc`, `kubernetes.default.svc.<domain>`. */
export function inClusterApiNames(ranges: ServiceRanges, clusterDomain: string = DEFAULT_CLUSTER_DOMAIN): string[] {
  const domain = clusterDomain.replace(/^\.+|\.+$/g, '');
  return [firstServiceIP(ranges.clusterIPs), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${domain}`];
}
