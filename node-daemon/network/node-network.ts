/**
 * The node's network (what a CNI plugin, Flannel, kube-proxy and node-local DNS do for a kubelet),
 * driven by the cluster objects the node watches over the mesh (ClusterCache):
 *
 *   own Node's spec.podCIDR ──▶ pod bridge (Docker network with that subnet) ──▶ ready
 *                           └─▶ DNS server on the bridge's gateway address (the pods' nameserver)
 *   other Nodes (podCIDR, InternalIP) ──▶ VXLAN overlay: FDB, neighbour and route per node
 *   Services + EndpointSlices ──▶ service proxy (nftables) and DNS records
 *
 * Until the pod CIDR arrives and the bridge exists, the node reports NotReady (`notReadyReason`)
 * and sandboxes wait (`settingsFor`), as a kubelet waits for its CNI. Changes are applied as they
 * come; each part coalesces bursts itself.
 */
import type Docker from 'dockerode';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { JsonObject } from '../../src/api/object.ts';
import type { WatchableResource } from '../../src/net/messages.ts';
import type { ClusterCache } from '../cluster-cache.ts';
import type { PodNetworkProvider } from '../pod-workers.ts';
import type { SandboxOptions } from '../../src/runtime/types.ts';
import { runChecked, spawnCommand } from './commands.ts';
import { ensurePodBridge, removePodBridge, type PodBridge } from './pod-bridge.ts';
import { underlayMtu, VXLAN_OVERHEAD, VxlanOverlay, type OverlayPeer } from './overlay.ts';
import { errorMessage } from '../../src/api/error-message.ts';

/** The service proxy as the node network drives it (node-daemon/network/proxy). */
export interface ServiceProxyPart {
  /** The whole current set (not a delta); applied asynchronously, coalesced. */
  sync(services: Service[], slices: EndpointSlice[]): void;
  close(): Promise<void>;
}

/** The cluster DNS server as the node network drives it (node-daemon/network/dns). */
export interface ClusterDnsPart {
  update(services: Service[], slices: EndpointSlice[]): void;
  close(): Promise<void>;
}

export interface NodeNetworkOptions {
  nodeName: string;
  /** This node's InternalIP: VXLAN source and NodePort address. */
  nodeIP: string;
  /** The runtime scope (names the Docker network). */
  scope: string;
  docker: Docker;
  cache: ClusterCache;
  /** The cluster CIDR the master announced at join (undefined until joined). */
  clusterCIDR(): string | undefined;
  /** VXLAN to other nodes; off for a node alone on loopback. */
  overlay: boolean;
  /** Start the proxy once the pod CIDR is known. */
  startProxy(bridge: PodBridge, clusterCIDR: string): Promise<ServiceProxyPart>;
  /** Start the DNS server on the bridge's gateway address. */
  startDns(bridge: PodBridge): Promise<ClusterDnsPart>;
  /** The text of a pod's /etc/resolv.conf with this node's DNS address. */
  resolvConf(pod: JsonObject, nameserver: string): string;
  log(line: string): void;
  /** The network became ready (the daemon heartbeats at once instead of at the next tick; `kactus up` serves the API on the bridge's gateway). */
  onReady?(bridge: PodBridge): void;
}

function podCidrOf(node: Node | undefined): string | undefined {
  const cidr = node?.spec?.podCIDR;
  return cidr ? cidr : undefined;
}

function internalIP(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

export class NodeNetwork implements PodNetworkProvider {
  private bridge: PodBridge | undefined;
  private overlay: VxlanOverlay | undefined;
  private proxy: ServiceProxyPart | undefined;
  private dns: ClusterDnsPart | undefined;
  private starting: Promise<void> | undefined;
  private failure: string | undefined;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly readyWaiters: (() => void)[] = [];

  constructor(private readonly opts: NodeNetworkOptions) {
    this.unsubscribe = opts.cache.onChange((resource) => this.onChange(resource));
  }

  /** Why pods cannot be started here yet, or undefined when the network is ready. */
  notReadyReason(): string | undefined {
    if (this.bridge && this.proxy && this.dns) return undefined;
    if (this.failure) return `network plugin not ready: ${this.failure}`;
    if (!podCidrOf(this.ownNode())) return 'network plugin not ready: waiting for a pod CIDR for this node';
    return 'network plugin not ready: setting up the pod network';
  }

  /** The pod bridge, once made (for port-forward and tests). */
  get podBridge(): PodBridge | undefined {
    return this.bridge;
  }

  async settingsFor(pod: JsonObject): Promise<{ sandbox: SandboxOptions; resolvConf: string }> {
    const bridge = await this.ready();
    const spec = (pod.spec ?? {}) as { hostNetwork?: boolean };
    const sandbox: SandboxOptions = { network: spec.hostNetwork === true ? 'host' : bridge.networkName };
    return { sandbox, resolvConf: this.opts.resolvConf(pod, bridge.gatewayIP) };
  }

  /**
   * A sandbox joined the bridge: turn hairpin mode on for its port (every port of the bridge that
   * lacks it), as the kubelet's hairpin-veth mode does. With bridge netfilter, a pod reaching itself
   * through its Service is DNATed at the bridge and its packet must leave by the port it came in on,
   * which a bridge refuses unless that port is in hairpin mode.
   */
  async sandboxCreated(): Promise<void> {
    const bridge = this.bridge;
    if (!bridge) return;
    try {
      const ports = await parsePorts(runChecked(spawnCommand, ['ip', '-j', '-d', 'link', 'show', 'master', bridge.bridgeName]));
      for (const port of ports) {
        if (port.ifname && port.linkinfo?.info_slave_data?.hairpin !== true) {
          await runChecked(spawnCommand, ['ip', 'link', 'set', 'dev', port.ifname, 'type', 'bridge_slave', 'hairpin', 'on']);
        }
      }
    } catch (err) {
      // Only a pod reaching itself through its Service needs it: the pod runs on without.
      this.opts.log(`kactus: node ${this.opts.nodeName}: hairpin mode: ${errorMessage(err)}`);
    }
  }

  /** Stop serving; `keepBridge` leaves the Docker network for the pods that stay (a restart adopts them). */
  async close(opts: { keepBridge?: boolean } = {}): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    await this.starting?.catch(() => undefined);
    await this.proxy?.close().catch((err: unknown) => this.opts.log(`kactus: proxy close: ${String(err)}`));
    await this.dns?.close().catch(() => undefined);
    await this.overlay?.remove().catch(() => undefined);
    if (!opts.keepBridge && this.bridge) await removePodBridge(this.opts.docker, this.opts.scope).catch((err: unknown) => this.opts.log(`kactus: pod bridge removal: ${String(err)}`));
  }

  private ready(): Promise<PodBridge> {
    if (this.bridge && this.proxy && this.dns) return Promise.resolve(this.bridge);
    return new Promise((resolve) => this.readyWaiters.push(() => resolve(this.bridge!)));
  }

  private ownNode(): Node | undefined {
    return this.opts.cache.get<Node>('nodes', this.opts.nodeName);
  }

  private onChange(resource: WatchableResource): void {
    if (this.closed) return;
    if (resource === 'nodes') {
      if (!this.bridge) this.startOnce();
      else this.syncOverlay();
      return;
    }
    // The node's watch also carries what its pods' volumes and the storage part read.
    if (resource === 'services' || resource === 'endpointslices') this.syncServices();
  }

  private startOnce(): void {
    const podCIDR = podCidrOf(this.ownNode());
    if (!podCIDR || this.starting) return;
    this.starting = this.start(podCIDR).catch((err: unknown) => {
      this.failure = errorMessage(err);
      this.opts.log(`kactus: node ${this.opts.nodeName}: pod network: ${this.failure}`);
      this.starting = undefined; // the next Node change tries again
    });
  }

  private async start(podCIDR: string): Promise<void> {
    const mtu = this.opts.overlay ? (await underlayMtu(this.opts.nodeIP)) - VXLAN_OVERHEAD : 1500;
    const bridge = await ensurePodBridge(this.opts.docker, this.opts.scope, podCIDR, mtu);
    if (this.opts.overlay) this.overlay = await VxlanOverlay.open({ nodeIP: this.opts.nodeIP, podCIDR });
    // A node that has not heard the cluster CIDR (an older master) treats its own block as the pod network.
    this.proxy = await this.opts.startProxy(bridge, this.opts.clusterCIDR() ?? podCIDR);
    this.dns = await this.opts.startDns(bridge);
    this.bridge = bridge;
    this.failure = undefined;
    this.opts.log(`kactus: node ${this.opts.nodeName}: pod network ${podCIDR} on ${bridge.bridgeName}${this.overlay ? ` with VXLAN to other nodes` : ''}`);
    this.syncOverlay();
    this.syncServices();
    for (const wake of this.readyWaiters.splice(0)) wake();
    this.opts.onReady?.(bridge);
  }

  private syncOverlay(): void {
    if (!this.overlay) return;
    const peers: OverlayPeer[] = [];
    for (const node of this.opts.cache.list<Node>('nodes')) {
      const name = node.metadata?.name;
      const podCIDR = podCidrOf(node);
      const nodeIP = internalIP(node);
      if (!name || name === this.opts.nodeName || !podCIDR || !nodeIP || nodeIP === this.opts.nodeIP) continue;
      peers.push({ nodeName: name, nodeIP, podCIDR });
    }
    this.overlay.sync(peers).catch((err: unknown) => this.opts.log(`kactus: node ${this.opts.nodeName}: overlay: ${String(err)}`));
  }

  private syncServices(): void {
    const bridge = this.bridge;
    if (!bridge || !this.proxy || !this.dns) return;
    const cache = this.opts.cache;
    // A half-listed cache would drop rules for services not yet seen: wait for both lists.
    if (!cache.synced('services') || !cache.synced('endpointslices')) return;
    const services = cache.list<Service>('services');
    const slices = cache.list<EndpointSlice>('endpointslices');
    this.proxy.sync(services, slices);
    this.dns.update(services, slices);
  }
}

interface BridgePort {
  ifname?: string;
  linkinfo?: { info_slave_data?: { hairpin?: boolean } };
}

async function parsePorts(output: Promise<string>): Promise<BridgePort[]> {
  const text = (await output).trim();
  return text === '' ? [] : (JSON.parse(text) as BridgePort[]);
}
