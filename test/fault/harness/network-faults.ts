/**
 * The network under the hosts, bent on purpose: partitions and a bad link.
 *
 * Partitions are nftables rules inside the hosts' own namespaces (never the root one): each host
 * gets a table `inet kactus_fault` whose set `blocked` holds the addresses it must neither hear
 * from nor send to; packets are dropped (silence, as a cut cable: no RST, no ICMP). Blocks are
 * counted per (host, peer) pair, so two overlapping partitions healed in any order leave exactly
 * the blocks still wanted. Link down would cut a host from everyone, the test process included;
 * filtering can split any subset from any other.
 *
 * A bad link is `tc qdisc … netem` (delay, jitter, loss) on both ends of the host's veth — its
 * `eth0` and its port on the switch — so both directions suffer. Without sch_netem in the kernel
 * (no module, CONFIG_NET_SCH_NETEM unset) loss falls back to an nftables rule dropping a random
 * share of the packets through eth0 (`numgen random`), and latency goes through a delay line in
 * user space on the host's switch port (`delay-line.ts`: two TAP devices and a program holding the
 * frames). `latencySupport` says which is used (or why neither can be: the injectors then skip such
 * faults with that reason in the fault log).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { NetHost, TestNetwork } from '../../support/netns.ts';
import { probeDelayLine, startDelayLine, type DelayLine, type DelayLineSupport } from './delay-line.ts';

const exec = promisify(execFile);

const TABLE = 'kactus_fault';

export interface NetemSupport {
  available: boolean;
  /** Why not, when it is not. */
  reason?: string;
}

/**
 * Whether `tc qdisc … netem` works here: tries it on a host's loopback (after `modprobe sch_netem`
 * where modprobe exists) and, when it fails, reads the kernel config for the reason.
 */
export async function probeNetem(net: TestNetwork, host: NetHost): Promise<NetemSupport> {
  await exec('modprobe', ['sch_netem']).catch(() => undefined);
  try {
    await net.exec(host, 'tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
    await net.exec(host, 'tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
    return { available: true };
  } catch (err) {
    const tcError = ((err as { stderr?: string }).stderr ?? String(err)).trim();
    const config = await readFile('/proc/config.gz').then((b) => gunzipSync(b).toString('utf8'), () => '');
    const line = /^# CONFIG_NET_SCH_NETEM is not set$/m.exec(config)?.[0];
    return { available: false, reason: `tc netem unavailable: ${line ? `the kernel is built without it (${line})` : tcError}` };
  }
}

/** How latency is made here: netem, else the delay line, else not at all (`reason`). */
export interface LatencySupport {
  available: boolean;
  by?: 'netem' | 'delay line';
  /** Why not, when it is not. */
  reason?: string;
}

/** The state of each host's link: what netem (or the nft fallback) applies now. */
interface LinkState {
  lossPercent?: number;
  delayMs?: number;
  jitterMs?: number;
}

export class NetworkFaults {
  private readonly tables = new Set<string>();
  /** `${netns} ${peerIP}` → how many partitions want that block. */
  private readonly blocks = new Map<string, number>();
  private readonly links = new Map<string, LinkState>();
  private netem: NetemSupport | undefined;
  private delayLine: DelayLineSupport | undefined;
  /** netns → the delay line on its host's switch port (without netem). */
  private readonly delayLines = new Map<string, DelayLine>();

  constructor(private readonly net: TestNetwork) {}

  /** Probed once, on the first host. */
  async netemSupport(): Promise<NetemSupport> {
    this.netem ??= await probeNetem(this.net, this.net.hosts[0]!);
    return this.netem;
  }

  /** netem where the kernel has it, else the delay line where a TAP device can be made; probed once. */
  async latencySupport(): Promise<LatencySupport> {
    const netem = await this.netemSupport();
    if (netem.available) return { available: true, by: 'netem' };
    this.delayLine ??= await probeDelayLine(this.net.switchNetns);
    if (this.delayLine.available) return { available: true, by: 'delay line' };
    return { available: false, reason: `${netem.reason}; no delay line: ${this.delayLine.reason}` };
  }

  private async nft(host: NetHost, command: string): Promise<void> {
    await this.net.exec(host, 'nft', [command]);
  }

  private async table(host: NetHost): Promise<void> {
    if (this.tables.has(host.netns)) return;
    await this.nft(
      host,
      `add table inet ${TABLE}; add set inet ${TABLE} blocked { type ipv4_addr; }; ` +
        `add chain inet ${TABLE} input { type filter hook input priority -300; policy accept; }; ` +
        `add chain inet ${TABLE} output { type filter hook output priority -300; policy accept; }; ` +
        `add rule inet ${TABLE} input ip saddr @blocked drop; add rule inet ${TABLE} output ip daddr @blocked drop`,
    );
    this.tables.add(host.netns);
  }

  /** Adds one partition's blocks: every host of `a` stops exchanging packets with every address of `b`, and each of `b` with `a`. */
  async block(a: readonly NetHost[], b: readonly NetHost[], extraAddresses: readonly string[] = []): Promise<void> {
    const pairs = [...a.flatMap((h) => [...b.map((p) => [h, p.ip] as const), ...extraAddresses.map((ip) => [h, ip] as const)]), ...b.flatMap((h) => a.map((p) => [h, p.ip] as const))];
    for (const [host, ip] of pairs) {
      const key = `${host.netns} ${ip}`;
      const n = this.blocks.get(key) ?? 0;
      this.blocks.set(key, n + 1);
      if (n > 0) continue;
      await this.table(host);
      await this.nft(host, `add element inet ${TABLE} blocked { ${ip} }`);
    }
  }

  /** Removes what `block(a, b, extra)` added (blocks other partitions still want stay). */
  async unblock(a: readonly NetHost[], b: readonly NetHost[], extraAddresses: readonly string[] = []): Promise<void> {
    const pairs = [...a.flatMap((h) => [...b.map((p) => [h, p.ip] as const), ...extraAddresses.map((ip) => [h, ip] as const)]), ...b.flatMap((h) => a.map((p) => [h, p.ip] as const))];
    for (const [host, ip] of pairs) {
      const key = `${host.netns} ${ip}`;
      const n = this.blocks.get(key) ?? 0;
      if (n === 0) continue;
      if (n > 1) {
        this.blocks.set(key, n - 1);
        continue;
      }
      this.blocks.delete(key);
      await this.nft(host, `delete element inet ${TABLE} blocked { ${ip} }`);
    }
  }

  /** Sets (or, with `undefined` fields, clears) a host's link impairment. Returns a reason when it cannot be applied. */
  async shapeLink(host: NetHost, change: LinkState): Promise<string | undefined> {
    const netem = await this.netemSupport();
    const state: LinkState = { ...(this.links.get(host.netns) ?? {}), ...change };
    for (const k of Object.keys(state) as (keyof LinkState)[]) if (state[k] === undefined) delete state[k];
    if (!netem.available && state.delayMs !== undefined) {
      const latency = await this.latencySupport();
      if (!latency.available) return latency.reason;
    }
    if (netem.available) await this.applyNetem(host, state);
    else {
      await this.applyDelayLine(host, state);
      await this.applyNftLoss(host, state.lossPercent);
    }
    if (Object.keys(state).length === 0) this.links.delete(host.netns);
    else this.links.set(host.netns, state);
    return undefined;
  }

  private async applyNetem(host: NetHost, state: LinkState): Promise<void> {
    const params = [
      ...(state.delayMs !== undefined ? ['delay', `${state.delayMs}ms`, ...(state.jitterMs ? [`${state.jitterMs}ms`] : [])] : []),
      ...(state.lossPercent !== undefined ? ['loss', `${state.lossPercent}%`] : []),
    ];
    const ends: [string, string][] = [
      [host.netns, 'eth0'],
      [this.net.switchNetns, host.switchPort],
    ];
    for (const [ns, dev] of ends) {
      if (params.length === 0) await exec('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root']).catch(() => undefined);
      else await exec('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', 'netem', ...params]);
    }
  }

  /** Starts, replaces or stops the host's delay line to match `state` (kept when unchanged). */
  private async applyDelayLine(host: NetHost, state: LinkState): Promise<void> {
    const current = this.delayLines.get(host.netns);
    if (current && current.delayMs === state.delayMs && current.jitterMs === (state.jitterMs ?? 0)) return;
    if (current) {
      this.delayLines.delete(host.netns);
      await current.stop();
    }
    if (state.delayMs === undefined) return;
    const line = await startDelayLine({ switchNetns: this.net.switchNetns, port: host.switchPort, delayMs: state.delayMs, jitterMs: state.jitterMs });
    this.delayLines.set(host.netns, line);
  }

  /** Random drops through eth0 in both directions, `percent` each way (nft's numgen; no netem needed). */
  private async applyNftLoss(host: NetHost, percent: number | undefined): Promise<void> {
    const table = `${TABLE}_loss`;
    await this.nft(host, `delete table inet ${table}`).catch(() => undefined);
    if (percent === undefined) return;
    const per1000 = Math.round(percent * 10);
    await this.nft(
      host,
      `add table inet ${table}; ` +
        `add chain inet ${table} input { type filter hook input priority -300; policy accept; }; ` +
        `add chain inet ${table} output { type filter hook output priority -300; policy accept; }; ` +
        `add rule inet ${table} input iifname "eth0" numgen random mod 1000 < ${per1000} drop; ` +
        `add rule inet ${table} output oifname "eth0" numgen random mod 1000 < ${per1000} drop`,
    );
  }

  /** Whether any block or link impairment is in place. */
  get clean(): boolean {
    return this.blocks.size === 0 && this.links.size === 0;
  }

  /** Removes every block, qdisc, nft table and delay line this made (heal-all and close). */
  async clear(): Promise<void> {
    this.blocks.clear();
    const lines = [...this.delayLines.values()];
    this.delayLines.clear();
    await Promise.all(lines.map((l) => l.stop().catch(() => undefined)));
    for (const host of this.net.hosts) {
      if (this.tables.has(host.netns)) await this.nft(host, `delete table inet ${TABLE}`).catch(() => undefined);
      if (this.links.has(host.netns)) {
        await this.nft(host, `delete table inet ${TABLE}_loss`).catch(() => undefined);
        await this.net.exec(host, 'tc', ['qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => undefined);
        await exec('ip', ['netns', 'exec', this.net.switchNetns, 'tc', 'qdisc', 'del', 'dev', host.switchPort, 'root']).catch(() => undefined);
      }
    }
    this.tables.clear();
    this.links.clear();
  }
}
