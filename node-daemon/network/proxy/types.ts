/**
 * Value types of the service proxy: what the daemon hands it (Services + EndpointSlices), the
 * per-daemon configuration, and what a sync reports.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

/** Fixed for the life of one daemon's proxy. */
export interface ProxyConfig {
  /** nftables table name, unique per daemon on one kernel (several daemons may share a host). */
  table: string;
  /** This node's name: endpoints whose `nodeName` equals it are local (traffic policies). */
  nodeName: string;
  /** The cluster's pod network, e.g. `10.244.0.0/16`: sources inside it are pods. */
  clusterCIDR: string;
  /** This node's pod subnet (a /24 of clusterCIDR): its pods' traffic leaving the cluster is masqueraded. */
  podCIDR?: string;
  /** Packet mark bit that asks postrouting to masquerade (kube-proxy's default: 0x4000). */
  masqueradeMark?: number;
}

/** The cluster state the rules are rendered from (the daemon's watch of both kinds). */
export interface ProxyState {
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
}

/**
 * Client → endpoint pairings to carry over a rebuild: the table is replaced on every sync, and
 * without this each sync would forget every ClientIP affinity. Keyed by affinity set name.
 */
export type AffinityCarry = ReadonlyMap<string, readonly AffinityEntry[]>;

/** One remembered client of one endpoint, with the time its pairing has left. */
export interface AffinityEntry {
  clientIP: string;
  expiresSeconds: number;
}

/** Everything `renderProxyRules` needs: pure data, no I/O. */
export interface RenderInput extends ProxyState {
  config: ProxyConfig;
  affinity?: AffinityCarry;
}

/** Sizes of one rendered ruleset (for metrics and tests). */
export interface RulesetStats {
  /** Service ports that got rules (ClusterIP, NodePort or reject entries). */
  servicePorts: number;
  /** Endpoint chains (one per service port × reachable endpoint). */
  endpoints: number;
  /** Rules in all chains. */
  rules: number;
  /** Elements in all maps and sets. */
  elements: number;
  /** Services or ports left out, with why (bad IP, unknown protocol…). */
  skipped: string[];
}

/** A rendered nft script (`nft -f -` input) with its sizes. */
export interface Ruleset {
  script: string;
  stats: RulesetStats;
}

/** What `ServiceProxy.metrics` reports. */
export interface ProxyMetrics {
  /** Applies that succeeded. */
  syncs: number;
  /** Syncs that changed no rule (the table was already right; no nft run). */
  unchanged: number;
  /** Applies that failed (the previous table stayed). */
  failures: number;
  /** Wall time of the last apply (render, affinity read, nft), ms. */
  lastDurationMs: number;
  /** Rules in the table now in the kernel. */
  rules: number;
  /** Map and set elements in the table now in the kernel. */
  elements: number;
  /** When the last successful apply finished (ms since epoch), 0 before the first. */
  lastSyncAt: number;
  /** The last failure's message, until an apply succeeds. */
  lastError?: string;
}
