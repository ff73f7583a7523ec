/**
 * The VXLAN overlay between nodes, as Flannel's vxlan backend programs it with netlink, here with
 * iproute2: one VTEP device per node (`kactus-vxlan`, VNI 1, UDP 8472, no learning), holding the
 * node's VTEP address (its pod CIDR's network address, /32) and a MAC derived from it; and for
 * every other node with a pod CIDR:
 *   - an FDB entry: that node's VTEP MAC is behind its node IP (where to send the UDP packets);
 *   - a permanent neighbour: its VTEP address has that MAC (no ARP over the overlay);
 *   - a route: its pod CIDR via its VTEP address, on the device, onlink.
 * Pods then reach pods on other nodes by pod IP, without NAT.
 *
 * `sync(peers)` compares what the kernel has on the device with what the peers need and applies
 * only the difference, in one `ip -batch` and one `bridge -batch`; a daemon that restarts finds its
 * entries in place and changes nothing. One overlay per network namespace (the device name is fixed).
 */
import { macFor, podCidrAddresses } from './addresses.ts';
import { runChecked, spawnCommand, type CommandRunner } from './commands.ts';

export const VXLAN_DEVICE = 'kactus-vxlan';
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;

export interface OverlayPeer {
  nodeName: string;
  /** Where its VXLAN packets go: the node's InternalIP. */
  nodeIP: string;
  podCIDR: string;
}

/** What the kernel has on the device now (read with `ip -j`/`bridge -j`). */
export interface OverlayState {
  /** route destination (CIDR) → gateway */
  routes: Map<string, string>;
  /** neighbour address → MAC */
  neighbours: Map<string, string>;
  /** MAC → destination node IP */
  fdb: Map<string, string>;
}

export interface OverlayPlan {
  ip: string[];
  bridge: string[];
}

/** The commands that turn `current` into what `peers` need (pure). Deletions first, then adds. */
export function planOverlay(peers: readonly OverlayPeer[], current: OverlayState, device = VXLAN_DEVICE): OverlayPlan {
  const want = { routes: new Map<string, string>(), neighbours: new Map<string, string>(), fdb: new Map<string, string>() };
  for (const peer of peers) {
    const { vtepIP, vtepMac } = podCidrAddresses(peer.podCIDR);
    want.routes.set(peer.podCIDR, vtepIP);
    want.neighbours.set(vtepIP, vtepMac);
    want.fdb.set(vtepMac, peer.nodeIP);
  }
  const ip: string[] = [];
  const bridge: string[] = [];
  for (const [dst] of current.routes) if (!want.routes.has(dst)) ip.push(`route del ${dst} dev ${device}`);
  for (const [addr] of current.neighbours) if (!want.neighbours.has(addr)) ip.push(`neigh del ${addr} dev ${device}`);
  for (const [mac, dst] of current.fdb) if (want.fdb.get(mac) !== dst) bridge.push(`fdb del ${mac} dev ${device} dst ${dst} self`);
  for (const [mac, dst] of want.fdb) if (current.fdb.get(mac) !== dst) bridge.push(`fdb append ${mac} dev ${device} dst ${dst} self permanent`);
  for (const [addr, mac] of want.neighbours) if (current.neighbours.get(addr) !== mac) ip.push(`neigh replace ${addr} lladdr ${mac} dev ${device} nud permanent`);
  for (const [dst, via] of want.routes) if (current.routes.get(dst) !== via) ip.push(`route replace ${dst} via ${via} dev ${device} onlink`);
  return { ip, bridge };
}

export interface OverlayOptions {
  /** This node's address: the VXLAN packets' source. */
  nodeIP: string;
  /** This node's pod CIDR: its VTEP address and MAC come from it. */
  podCIDR: string;
  device?: string;
  vni?: number;
  port?: number;
  /** Where the ip/bridge commands run (tests: a network namespace). */
  commands?: CommandRunner;
}

export class VxlanOverlay {
  readonly device: string;
  private readonly run: CommandRunner;
  private applied: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: OverlayOptions) {
    this.device = opts.device ?? VXLAN_DEVICE;
    this.run = opts.commands ?? spawnCommand;
  }

  /** Create (or find, or re-create when its parameters changed) the VTEP device and bring it up. */
  static async open(opts: OverlayOptions): Promise<VxlanOverlay> {
    const overlay = new VxlanOverlay(opts);
    await overlay.ensureDevice();
    return overlay;
  }

  /** Program the peers (every other node with a pod CIDR); calls are applied one after another. */
  sync(peers: readonly OverlayPeer[]): Promise<void> {
    const next = this.applied.then(async () => {
      const plan = planOverlay(peers, await this.readState(), this.device);
      if (plan.bridge.length > 0) await this.batch('bridge', plan.bridge);
      if (plan.ip.length > 0) await this.batch('ip', plan.ip);
    });
    this.applied = next.catch(() => undefined);
    return next;
  }

  /** Remove the device (and with it every route, neighbour and FDB entry on it). */
  async remove(): Promise<void> {
    await this.applied;
    await this.run(['ip', 'link', 'del', this.device]).catch(() => undefined);
  }

  private async ensureDevice(): Promise<void> {
    const { vtepIP } = podCidrAddresses(this.opts.podCIDR);
    const mac = macFor(vtepIP);
    const vni = this.opts.vni ?? VXLAN_VNI;
    const port = this.opts.port ?? VXLAN_PORT;
    const existing = await this.linkInfo();
    const matches =
      existing !== undefined &&
      existing.kind === 'vxlan' &&
      existing.id === vni &&
      existing.local === this.opts.nodeIP &&
      existing.port === port &&
      existing.address === mac;
    if (existing && !matches) await runChecked(this.run, ['ip', 'link', 'del', this.device]);
    if (!matches) {
      const mtu = (await underlayMtu(this.opts.nodeIP, this.run)) - VXLAN_OVERHEAD;
      await this.batch('ip', [
        `link add ${this.device} type vxlan id ${vni} local ${this.opts.nodeIP} dstport ${port} nolearning`,
        `link set ${this.device} address ${mac} mtu ${mtu}`,
      ]);
    }
    await this.batch('ip', [`addr replace ${vtepIP}/32 dev ${this.device}`, `link set ${this.device} up`]);
  }

  private async batch(cmd: 'ip' | 'bridge', lines: string[]): Promise<void> {
    await runChecked(this.run, [cmd, '-batch', '-'], lines.join('\n') + '\n');
  }

  private json<T>(cmd: string, args: string[]): Promise<T> {
    return parseJson<T>(runChecked(this.run, [cmd, ...args]));
  }

  private async linkInfo(): Promise<LinkInfo | undefined> {
    let links: { address?: string; linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number } } }[];
    try {
      links = await this.json('ip', ['-j', '-d', 'link', 'show', 'dev', this.device]);
    } catch {
      return undefined; // "Device does not exist"
    }
    const link = links[0];
    if (!link) return undefined;
    const data = link.linkinfo?.info_data ?? {};
    return { kind: link.linkinfo?.info_kind, id: data.id, local: data.local, port: data.port, address: link.address };
  }

  private async readState(): Promise<OverlayState> {
    const [routes, neighbours, fdb] = await Promise.all([
      this.json<{ dst: string; gateway?: string }[]>('ip', ['-j', '-4', 'route', 'show', 'dev', this.device]),
      this.json<{ dst: string; lladdr?: string; state?: string[] }[]>('ip', ['-j', '-4', 'neigh', 'show', 'dev', this.device]),
      this.json<{ mac: string; dst?: string }[]>('bridge', ['-j', 'fdb', 'show', 'dev', this.device]),
    ]);
    return {
      routes: new Map(routes.filter((r) => r.gateway && r.dst.includes('/')).map((r) => [r.dst, r.gateway!])),
      neighbours: new Map(neighbours.filter((n) => n.lladdr && n.state?.includes('PERMANENT')).map((n) => [n.dst, n.lladdr!])),
      fdb: new Map(fdb.filter((f) => f.dst).map((f) => [f.mac, f.dst!])),
    };
  }
}

interface LinkInfo {
  kind?: string;
  id?: number;
  local?: string;
  port?: number;
  address?: string;
}

/** MTU of the interface holding `nodeIP` (1500 when none does). */
export async function underlayMtu(nodeIP: string, run: CommandRunner = spawnCommand): Promise<number> {
  const links = await parseJson<{ mtu?: number; addr_info?: { local?: string }[] }[]>(runChecked(run, ['ip', '-j', '-4', 'addr', 'show']));
  return links.find((l) => l.addr_info?.some((a) => a.local === nodeIP))?.mtu ?? 1500;
}

async function parseJson<T>(output: Promise<string>): Promise<T> {
  const text = (await output).trim();
  return (text === '' ? [] : JSON.parse(text)) as T;
}
