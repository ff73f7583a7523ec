/**
 * Pure renderer: Services + EndpointSlices + config → one nft script that replaces this
 * daemon's table atomically. The layout follows kube-proxy's nftables mode
 * (pkg/proxy/nftables/proxier.go) at our scale; README.md walks through every rule.
 *
 * Rendering is linear in service ports + endpoints. On the packet path (a connection's first
 * packet only: NAT chains never see the rest) verdict maps keyed by `ip daddr . meta l4proto .
 * th dport` find the service in one lookup however many there are.
 */
import ipaddr from 'ipaddr.js';
import { InvalidProxyConfigError } from './errors.ts';
import { affinitySetName, clusterChainName, endpointChainName, externalChainName, localChainName } from './names.ts';
import { collectServicePorts, type ProxyEndpoint, type ProxyServicePort } from './service-ports.ts';
import type { AffinityCarry, AffinityEntry, ProxyConfig, RenderInput, Ruleset } from './types.ts';

/** kube-proxy's masquerade bit. */
export const DEFAULT_MASQUERADE_MARK = 0x4000;

// Fixed chain, map and set names inside the table (the table itself is the namespace).
const SERVICE_IPS = 'service-ips';
const SERVICE_NODEPORTS = 'service-nodeports';
const NO_ENDPOINT_SERVICES = 'no-endpoint-services';
const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
const SERVICES = 'services';
const ENDPOINTS_CHECK = 'endpoints-check';
const REJECT = 'reject-chain';
const MARK_FOR_MASQUERADE = 'mark-for-masquerade';
const MASQUERADING = 'masquerading';

/** Destinations that are this host, except loopback (a NodePort on 127.0.0.1 is not routable to a pod). */
const LOCAL_NOT_LOOPBACK = 'fib daddr type local ip daddr != 127.0.0.0/8';

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Render the script for `nft -f -`. */
export function renderProxyRules(input: RenderInput): string {
  return renderProxyRuleset(input).script;
}

/** Render the script and count what it holds. */
export function renderProxyRuleset(input: RenderInput): Ruleset {
  const config = validateProxyConfig(input.config);
  const { ports, skipped } = collectServicePorts(input.services, input.endpointSlices, config.nodeName);
  const t = new TableBuilder();
  const mark = hex(config.masqueradeMark);

  // Dispatch: one lookup per packet, whatever the number of services.
  t.map(SERVICE_IPS, 'ipv4_addr . inet_proto . inet_service : verdict', 'ClusterIP traffic');
  t.map(SERVICE_NODEPORTS, 'inet_proto . inet_service : verdict', 'NodePort traffic');
  t.map(NO_ENDPOINT_SERVICES, 'ipv4_addr . inet_proto . inet_service : verdict', 'ClusterIPs without usable endpoints: reject or drop');
  t.map(NO_ENDPOINT_NODEPORTS, 'inet_proto . inet_service : verdict', 'NodePorts without usable endpoints: reject or drop');

  t.rule(SERVICES, `ip daddr . meta l4proto . th dport vmap @${SERVICE_IPS}`);
  t.rule(SERVICES, `${LOCAL_NOT_LOOPBACK} meta l4proto . th dport vmap @${SERVICE_NODEPORTS}`);

  // A service nobody serves is refused at once (RST / ICMP port unreachable), so clients fail
  // fast instead of retransmitting SYNs into a black hole. The check runs on the input, forward
  // and output hooks: after prerouting's DNAT, so only packets no service chain took reach it.
  t.rule(ENDPOINTS_CHECK, `ip daddr . meta l4proto . th dport vmap @${NO_ENDPOINT_SERVICES}`);
  t.rule(ENDPOINTS_CHECK, `${LOCAL_NOT_LOOPBACK} meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS}`);
  t.rule(REJECT, 'meta l4proto tcp reject with tcp reset');
  t.rule(REJECT, 'reject');

  // Masquerade is decided where the reason is known (hairpin, NodePort, host source) by setting
  // a mark; postrouting does it once the outgoing interface (hence the source address) is known.
  t.rule(MARK_FOR_MASQUERADE, `meta mark set meta mark or ${mark}`);
  t.rule(MASQUERADING, `meta mark & ${mark} == 0 return`);
  t.rule(MASQUERADING, `meta mark set meta mark xor ${mark}`);
  t.rule(MASQUERADING, 'masquerade fully-random');

  for (const sp of ports) renderServicePort(t, sp, config, input.affinity);

  // Base chains last (any order is atomic: hooks see the table only once the script committed).
  // Filters run at -110, before Docker's and before NAT at -100; output's NAT priority is
  // numeric because nft 1.0.6 refuses `dstnat` on the output hook.
  for (const hook of ['input', 'forward', 'output']) {
    t.baseChain(`filter-${hook}`, `type filter hook ${hook} priority -110; policy accept;`);
    t.rule(`filter-${hook}`, `ct state new jump ${ENDPOINTS_CHECK}`);
  }
  t.baseChain('nat-prerouting', 'type nat hook prerouting priority dstnat; policy accept;');
  t.rule('nat-prerouting', `jump ${SERVICES}`);
  // Host processes (the daemon, hostNetwork pods) reach ClusterIPs and NodePorts through output.
  t.baseChain('nat-output', 'type nat hook output priority -100; policy accept;');
  t.rule('nat-output', `jump ${SERVICES}`);
  t.baseChain('nat-postrouting', 'type nat hook postrouting priority srcnat; policy accept;');
  t.rule('nat-postrouting', `jump ${MASQUERADING}`);
  if (config.podCIDR) {
    // Pods leaving the cluster get the node's address (the outside cannot route pod IPs back);
    // pod-to-pod traffic, on this node or another, keeps its source (no NAT inside the cluster).
    t.rule('nat-postrouting', `ip saddr ${config.podCIDR} ip daddr != ${config.clusterCIDR} masquerade`);
  }

  const comment = `kactus service proxy, node ${config.nodeName.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  const script = t.script(config.table, comment);
  return {
    script,
    stats: { servicePorts: ports.length, endpoints: t.endpointChains, rules: t.rules, elements: t.elements, skipped },
  };
}

/** Rules and elements for one service port (kube-proxy's syncProxyRules loop body). */
function renderServicePort(t: TableBuilder, sp: ProxyServicePort, config: Required<ProxyConfig>, carry: AffinityCarry | undefined): void {
  const clusterChain = clusterChainName(sp);
  const localChain = localChainName(sp);
  const externalChain = externalChainName(sp);
  const proto = sp.protocol;

  // Internal = ClusterIP traffic; external = NodePort traffic. Each may be "Local".
  const hasInternalEndpoints = sp.internalLocal ? sp.localEndpoints.length > 0 : sp.hasAnyEndpoints;
  const hasExternalEndpoints = sp.externalLocal ? sp.localEndpoints.length > 0 : sp.hasAnyEndpoints;
  const internalChain = sp.internalLocal ? localChain : clusterChain;
  const externalPolicyChain = sp.externalLocal ? localChain : clusterChain;
  const usesExternalChain = sp.hasAnyEndpoints && sp.nodePort !== 0;

  // No endpoint anywhere: refuse. Endpoints only elsewhere under a Local policy: drop, as
  // kube-proxy (the service exists; this node is just the wrong place to ask).
  const refusal = sp.hasAnyEndpoints ? 'drop' : `goto ${REJECT}`;

  const vip = `${sp.clusterIP} . ${proto} . ${sp.port}`;
  if (hasInternalEndpoints) {
    t.element(SERVICE_IPS, `${vip} : goto ${internalChain}`);
    // Sources outside the pod network (the node itself, a router sending the service range
    // here) are masqueraded: the endpoint may be on another node, whose reply must come back
    // through this one to be un-DNATed.
    t.rule(internalChain, `ip daddr ${sp.clusterIP} ${proto} dport ${sp.port} ip saddr != ${config.clusterCIDR} jump ${MARK_FOR_MASQUERADE}`);
  } else {
    t.element(NO_ENDPOINT_SERVICES, `${vip} : ${refusal}`);
  }

  if (sp.nodePort !== 0) {
    if (usesExternalChain) t.element(SERVICE_NODEPORTS, `${proto} . ${sp.nodePort} : goto ${externalChain}`);
    if (!hasExternalEndpoints) t.element(NO_ENDPOINT_NODEPORTS, `${proto} . ${sp.nodePort} : ${refusal}`);
  }

  if (usesExternalChain) {
    if (!sp.externalLocal) {
      // The endpoint may be on another node: its reply must come back through this one.
      t.rule(externalChain, `jump ${MARK_FOR_MASQUERADE}`);
    } else {
      // Local policy keeps the client's address. Pods and the node itself are not "external"
      // clients: they get Cluster endpoints (as if they had gone out to a load balancer and
      // back); the node's own traffic still needs masquerade (its source is a local address).
      t.rule(externalChain, `ip saddr ${config.clusterCIDR} goto ${clusterChain} comment "short-circuit pod traffic"`);
      t.rule(externalChain, `fib saddr type local jump ${MARK_FOR_MASQUERADE} comment "masquerade local traffic"`);
      t.rule(externalChain, `fib saddr type local goto ${clusterChain} comment "short-circuit local traffic"`);
    }
    if (hasExternalEndpoints) t.rule(externalChain, `goto ${externalPolicyChain}`);
  }

  if (sp.affinitySeconds > 0) {
    for (const ep of sp.reachableEndpoints) {
      const set = affinitySetName(sp, ep);
      t.affinitySet(set, sp.affinitySeconds, carry?.get(set));
    }
  }
  if (sp.clusterEndpoints.length > 0) writeBalancing(t, sp, clusterChain, sp.clusterEndpoints);
  if (sp.localEndpoints.length > 0) writeBalancing(t, sp, localChain, sp.localEndpoints);

  for (const ep of sp.reachableEndpoints) {
    const chain = endpointChainName(sp, ep);
    t.endpointChains++;
    // Hairpin: a pod reaching itself through its service. Without SNAT it would see a packet
    // from its own address and answer itself directly, never through the DNAT.
    t.rule(chain, `ip saddr ${ep.ip} jump ${MARK_FOR_MASQUERADE}`);
    if (sp.affinitySeconds > 0) t.rule(chain, `update @${affinitySetName(sp, ep)} { ip saddr }`);
    t.rule(chain, `meta l4proto ${proto} dnat to ${ep.ip}:${ep.port}`);
  }
}

/**
 * Up to this many endpoints the random pick is a cascade of rules, above it one `numgen
 * random mod N vmap`. Each inline vmap is an anonymous set, and nft (1.0.6, kernel 6.x) takes
 * time quadratic in the number of sets in a table: measured here, 4,000 services × 3
 * endpoints with a vmap each took 1.9 s to check and 8,000 took 8.3 s, against 0.5 s and 1.1 s
 * as cascades. A cascade costs its chain one rule per endpoint, evaluated on a connection's
 * first packet only (NAT chains never see the rest).
 */
export const CASCADE_MAX_ENDPOINTS = 8;

/** Affinity first (a known client keeps its endpoint), else an equal random pick. */
function writeBalancing(t: TableBuilder, sp: ProxyServicePort, chain: string, endpoints: readonly ProxyEndpoint[]): void {
  if (sp.affinitySeconds > 0) {
    for (const ep of endpoints) t.rule(chain, `ip saddr @${affinitySetName(sp, ep)} goto ${endpointChainName(sp, ep)}`);
  }
  const n = endpoints.length;
  if (n > CASCADE_MAX_ENDPOINTS) {
    const arms = endpoints.map((ep, i) => `${i} : goto ${endpointChainName(sp, ep)}`).join(', ');
    t.rule(chain, `numgen random mod ${n} vmap { ${arms} }`);
    return;
  }
  // Endpoint i is taken with probability 1/(n-i) among the n-i still in play: 1/n each.
  for (let i = 0; i < n - 1; i++) t.rule(chain, `numgen random mod ${n - i} == 0 goto ${endpointChainName(sp, endpoints[i]!)}`);
  t.rule(chain, `goto ${endpointChainName(sp, endpoints[n - 1]!)}`);
}

/**
 * The config with defaults filled in and CIDRs in canonical form; throws
 * InvalidProxyConfigError naming the bad field.
 */
export function validateProxyConfig(config: ProxyConfig): Required<ProxyConfig> {
  if (!TABLE_NAME.test(config.table)) {
    throw new InvalidProxyConfigError('table', `"${config.table}" must be a letter then up to 63 letters, digits, '_' or '-'`);
  }
  if (!config.nodeName) throw new InvalidProxyConfigError('nodeName', 'is required');
  const clusterCIDR = ipv4CIDR('clusterCIDR', config.clusterCIDR);
  const podCIDR = config.podCIDR === undefined || config.podCIDR === '' ? '' : ipv4CIDR('podCIDR', config.podCIDR);
  const mark = config.masqueradeMark ?? DEFAULT_MASQUERADE_MARK;
  if (!Number.isInteger(mark) || mark <= 0 || mark > 0xffff_ffff) {
    throw new InvalidProxyConfigError('masqueradeMark', `${mark} must be a non-zero 32-bit mark`);
  }
  return { table: config.table, nodeName: config.nodeName, clusterCIDR, podCIDR, masqueradeMark: mark };
}

/** "10.244.0.0/16" in canonical form (network address, so nft does not refuse host bits). */
function ipv4CIDR(field: string, value: string): string {
  if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(value)) throw new InvalidProxyConfigError(field, `"${value}" is not an IPv4 CIDR`);
  const [, bits] = ipaddr.IPv4.parseCIDR(value);
  return `${ipaddr.IPv4.networkAddressFromCIDR(value).toString()}/${bits}`;
}

const hex = (mark: number) => `0x${mark.toString(16).padStart(8, '0')}`;

/** Collects maps, sets and chains, then writes them as one table block (linear in its contents). */
class TableBuilder {
  rules = 0;
  elements = 0;
  endpointChains = 0;
  /** Maps and sets in declaration order: header lines, then their elements. */
  private readonly declarations = new Map<string, { kind: 'map' | 'set'; header: string[]; elements: string[] }>();
  private readonly chains = new Map<string, { header?: string; rules: string[] }>();

  map(name: string, type: string, comment: string): void {
    this.declarations.set(name, { kind: 'map', header: [`type ${type}`, `comment "${comment}"`], elements: [] });
  }

  /** A ClientIP affinity set, holding the pairings carried over from the previous table. */
  affinitySet(name: string, timeoutSeconds: number, carried: readonly AffinityEntry[] | undefined): void {
    const elements = (carried ?? [])
      .filter((e) => ipaddr.IPv4.isValidFourPartDecimal(e.clientIP) && e.expiresSeconds >= 1)
      .map((e) => `${e.clientIP} timeout ${timeoutSeconds}s expires ${Math.min(Math.floor(e.expiresSeconds), timeoutSeconds)}s`);
    this.elements += elements.length;
    // `dynamic`: the packet path adds to it (`update`); `timeout`: entries expire on their own.
    this.declarations.set(name, { kind: 'set', header: ['type ipv4_addr', 'flags dynamic,timeout', `timeout ${timeoutSeconds}s`], elements });
  }

  element(map: string, element: string): void {
    this.declarations.get(map)!.elements.push(element);
    this.elements++;
  }

  baseChain(name: string, header: string): void {
    this.chain(name).header = header;
  }

  rule(chain: string, rule: string): void {
    this.chain(chain).rules.push(rule);
    this.rules++;
  }

  private chain(name: string) {
    let chain = this.chains.get(name);
    if (!chain) this.chains.set(name, (chain = { rules: [] }));
    return chain;
  }

  script(table: string, comment: string): string {
    const out: string[] = [
      // Create-if-missing, then delete, then the new table: one transaction, so packets see
      // either the old table or the new one, never neither (and a first run does not fail on
      // deleting a table that is not there).
      `table ip ${table} {}`,
      `delete table ip ${table}`,
      `table ip ${table} {`,
      `  comment "${comment}"`,
    ];
    for (const [name, d] of this.declarations) {
      out.push(`  ${d.kind} ${name} {`);
      for (const line of d.header) out.push(`    ${line}`);
      if (d.elements.length) out.push(`    elements = {\n      ${d.elements.join(',\n      ')}\n    }`);
      out.push('  }');
    }
    for (const [name, chain] of this.chains) {
      out.push(`  chain ${name} {`);
      if (chain.header) out.push(`    ${chain.header}`);
      for (const rule of chain.rules) out.push(`    ${rule}`);
      out.push('  }');
    }
    out.push('}', '');
    return out.join('\n');
  }
}
