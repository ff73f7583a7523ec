/**
 * Cluster DNS for the node daemon: the server the daemon starts on its bridge gateway, the zone's
 * records it keeps current from Services and EndpointSlices, and pods' resolv.conf.
 */
export {
  DEFAULT_MAX_PENDING_FORWARDS,
  DEFAULT_MAX_TCP_CONNECTIONS,
  DEFAULT_TCP_IDLE_TIMEOUT_MS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  startClusterDnsServer,
  type ClusterDnsServer,
  type ClusterDnsServerOptions,
} from './server.ts';
export { ClusterDnsRecords, DEFAULT_CLUSTER_DOMAIN, DEFAULT_TTL_SECONDS, type ClusterDnsRecordsOptions, type RecordsUpdateStats } from './records.ts';
export { DNS_SCHEMA_VERSION, resolveQuestion, type Resolution, type ZoneAnswer } from './resolve.ts';
export { formatResolvConf, parseResolvConf, podDnsConfig, podResolvConf, type PodDnsConfig, type PodDnsOptions, type ResolvConf } from './resolv-conf.ts';
export { UpstreamTimeoutError, UpstreamUnavailableError, upstreamsFromResolvConf, type Upstream } from './upstream.ts';
export { SERVICE_NAME_LABEL } from './service-records.ts';
