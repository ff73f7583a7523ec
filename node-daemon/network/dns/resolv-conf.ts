/**
 * A pod's /etc/resolv.conf (pure), as the kubelet forms it (pkg/kubelet/network/dns/dns.go):
 * dnsPolicy picks the base (cluster DNS, the host's resolver config, or nothing), the pod's
 * `dnsConfig` is appended (duplicates dropped, options merged by name), and the result is cut to
 * the resolver limits, each cut reported as a warning (the kubelet records it as a
 * `DNSConfigForming` Warning Event on the pod).
 */
import type { Pod, PodDNSConfigOption } from 'kubernetes-types/core/v1.js';

/** Limits the kubelet applies (k8s.io/kubernetes/pkg/apis/core/validation, ExpandedDNSConfig GA since 1.28). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** Longer search paths make some resolvers (glibc 2.28) abort, so the kubelet drops them. */
const MAX_SEARCH_PATH_LENGTH = 253;
/** ClusterFirst pods get `options ndots:5`: `svc.ns` and `svc` resolve through the search list first. */
const CLUSTER_OPTIONS = ['ndots:5'];

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  /** `name` or `name:value`, as on an `options` line. */
  options: string[];
}

/**
 * Read a resolv.conf as the kubelet does: `nameserver` lines accumulate, the last `search` line
 * wins (trailing dots dropped), the last `options` line wins; `#` lines are comments.
 */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    const [keyword, ...fields] = trimmed.split(/\s+/);
    if (keyword === 'nameserver' && fields[0] !== undefined) conf.nameservers.push(fields[0]);
    else if (keyword === 'search') conf.searches = fields.map((search) => (search.endsWith('.') ? search.slice(0, -1) : search));
    else if (keyword === 'options') conf.options = fields;
  }
  return conf;
}

export interface PodDnsOptions {
  /** The cluster DNS server(s) for ClusterFirst pods (the node's DNS address). None: ClusterFirst falls back to Default. */
  nameserver?: string | readonly string[];
  /** The cluster domain, e.g. `cluster.local`; empty: no cluster search paths. */
  clusterDomain: string;
  /** The text of the resolver config the node hands to Default pods (the host's /etc/resolv.conf). */
  hostResolvConf: string;
}

export interface PodDnsConfig extends ResolvConf {
  /** Why something was left out (limits exceeded, no cluster DNS): for a Warning Event. */
  warnings: string[];
}

type DnsBase = 'cluster' | 'host' | 'none';

/**
 * The DNS base of `pod`: ClusterFirst (the default) and ClusterFirstWithHostNet use the cluster
 * DNS, except that ClusterFirst on a hostNetwork pod behaves as Default; Default uses the host's;
 * None starts empty (everything comes from `dnsConfig`).
 */
function dnsBase(pod: Pod): DnsBase {
  const hostNetwork = pod.spec?.hostNetwork === true;
  switch (pod.spec?.dnsPolicy ?? 'ClusterFirst') {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'Default':
      return 'host';
    case 'ClusterFirst':
      return hostNetwork ? 'host' : 'cluster';
    default:
      // The API rejects other values; the kubelet treats one as ClusterFirst.
      return 'cluster';
  }
}

/** Nameservers, search paths and options for `pod`, with the kubelet's merge and limits. */
export function podDnsConfig(pod: Pod, options: PodDnsOptions): PodDnsConfig {
  const warnings: string[] = [];
  const host = parseResolvConf(options.hostResolvConf);
  const clusterDns = typeof options.nameserver === 'string' ? [options.nameserver] : [...(options.nameserver ?? [])];
  let config: ResolvConf = host;
  let base = dnsBase(pod);
  if (base === 'cluster' && clusterDns.length === 0) {
    warnings.push(`no cluster DNS server is configured: pod using "${pod.spec?.dnsPolicy ?? 'ClusterFirst'}" falls back to "Default"`);
    base = 'host';
  }
  if (base === 'none') config = { nameservers: [], searches: [], options: [] };
  if (base === 'cluster') {
    config = {
      nameservers: clusterDns,
      searches: clusterSearches(host.searches, pod.metadata?.namespace ?? 'default', options.clusterDomain),
      options: [...CLUSTER_OPTIONS],
    };
  }
  const extra = pod.spec?.dnsConfig;
  if (extra !== undefined) {
    config = {
      nameservers: unique([...config.nameservers, ...(extra.nameservers ?? [])]),
      searches: unique([...config.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(config.options, extra.options ?? []),
    };
  }
  return {
    nameservers: fitNameservers(config.nameservers, warnings),
    searches: fitSearches(config.searches, warnings),
    options: config.options,
    warnings,
  };
}

/** The resolv.conf text for `pod` (search, nameserver, options lines, as containerd writes them). */
export function podResolvConf(pod: Pod, options: PodDnsOptions): string {
  return formatResolvConf(podDnsConfig(pod, options));
}

export function formatResolvConf(conf: ResolvConf): string {
  let text = '';
  if (conf.searches.length > 0) text += `search ${conf.searches.join(' ')}\n`;
  for (const nameserver of conf.nameservers) text += `nameserver ${nameserver}\n`;
  if (conf.options.length > 0) text += `options ${conf.options.join(' ')}\n`;
  return text;
}

/** `<ns>.svc.<zone> svc.<zone> <zone>` then the host's search paths, without duplicates. */
function clusterSearches(hostSearches: readonly string[], namespace: string, clusterDomain: string): string[] {
  if (clusterDomain === '') return [...hostSearches];
  return unique([`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain, ...hostSearches]);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * Options by name, the pod's `dnsConfig.options` overriding the base's. The kubelet goes through
 * a Go map, so its order is random; here the base's order is kept and new names follow.
 */
function mergeOptions(base: readonly string[], extra: readonly PodDNSConfigOption[]): string[] {
  const merged = new Map<string, string>();
  for (const option of base) {
    const colon = option.indexOf(':');
    if (colon === -1) merged.set(option, '');
    else merged.set(option.slice(0, colon), option.slice(colon + 1));
  }
  for (const option of extra) merged.set(option.name ?? '', option.value ?? '');
  return [...merged].map(([name, value]) => (value === '' ? name : `${name}:${value}`));
}

function fitNameservers(nameservers: string[], warnings: string[]): string[] {
  if (nameservers.length <= MAX_DNS_NAMESERVERS) return nameservers;
  const kept = nameservers.slice(0, MAX_DNS_NAMESERVERS);
  warnings.push(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${kept.join(' ')}`);
  return kept;
}

/** At most 32 paths, none over 253 characters, the line at most 2048 characters (cut from the end). */
function fitSearches(searches: string[], warnings: string[]): string[] {
  let exceeded = false;
  let kept = searches;
  if (kept.length > MAX_DNS_SEARCH_PATHS) {
    kept = kept.slice(0, MAX_DNS_SEARCH_PATHS);
    exceeded = true;
  }
  const short = kept.filter((search) => search.length <= MAX_SEARCH_PATH_LENGTH);
  if (short.length !== kept.length) exceeded = true;
  kept = short;
  while (kept.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) {
    kept = kept.slice(0, -1);
    exceeded = true;
  }
  if (exceeded) {
    warnings.push(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${kept.join(' ')}`);
  }
  return kept;
}
