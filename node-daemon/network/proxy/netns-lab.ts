/**
 * For tests: real kernels in miniature. Network namespaces as hosts and pods, veths and a
 * bridge between them, small node servers and clients inside them, and cleanup that removes
 * everything (processes by PID, then namespaces, which takes their links with them). Names
 * are unique per run; traffic never leaves the namespaces a lab creates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { runChecked, spawnCommand, type CommandResult } from '../commands.ts';

const ECHO_SERVER = fileURLToPath(new URL('./testdata/echo-server.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('./testdata/probe.mjs', import.meta.url));

/** Whether the kernel tests must run: under CI=true missing tools fail them, locally they skip. */
export const kernelRequired = () => process.env.CI === 'true';

/** Why kernel tests cannot run here (undefined: they can): root, nft, iproute2, unshare. */
export async function kernelUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root';
  for (const argv of [['nft', '--version'], ['ip', '-V'], ['unshare', '--version'], ['iptables', '--version']]) {
    const ok = await spawnCommand(argv).then((r) => r.exitCode === 0, () => false);
    if (!ok) return `${argv[0]} is not available`;
  }
  return undefined;
}

/** `nft -c -f -` (check only) in a fresh empty network namespace: nothing is ever applied. */
export async function nftCheck(script: string): Promise<CommandResult> {
  return spawnCommand(['unshare', '--net', 'nft', '-c', '-f', '-'], script);
}

/** One answer of the probe client (one connection or datagram). */
export interface ProbeResult {
  /** What the server said: "<its name> <the client address it saw>[ <its address reached>]". */
  answer?: string;
  /** Node's error code (ECONNREFUSED, ETIMEDOUT…). */
  error?: string;
  ms: number;
}

/** A set of namespaces for one test file; `cleanup()` in afterAll (also after a failure). */
export class NetnsLab {
  /** Unique per run: names start with it. */
  readonly id = `kp${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  private readonly namespaces: string[] = [];
  private readonly processes: ChildProcess[] = [];

  /** Create namespace `<id>-<role>` with loopback up; returns its name. */
  async netns(role: string): Promise<string> {
    const name = `${this.id}-${role}`;
    await runChecked(spawnCommand, ['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    await this.ip(name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** `ip -n NS …`, failing with ip's stderr. */
  async ip(ns: string, ...args: string[]): Promise<string> {
    return runChecked(spawnCommand, ['ip', '-n', ns, ...args]);
  }

  /** Run argv inside `ns`. */
  exec(ns: string, argv: string[], stdin?: string): Promise<CommandResult> {
    return spawnCommand(['ip', 'netns', 'exec', ns, ...argv], stdin);
  }

  /**
   * A veth from `a` (named `aIf`, address `aAddr` if given) to `b` (named `bIf`, `bAddr`).
   * Interface names live in their namespace, so they need no run id.
   */
  async veth(a: string, aIf: string, b: string, bIf: string, addrs: { a?: string; b?: string } = {}): Promise<void> {
    await this.ip(a, 'link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b);
    if (addrs.a) await this.ip(a, 'addr', 'add', addrs.a, 'dev', aIf);
    if (addrs.b) await this.ip(b, 'addr', 'add', addrs.b, 'dev', bIf);
    await this.ip(a, 'link', 'set', aIf, 'up');
    await this.ip(b, 'link', 'set', bIf, 'up');
  }

  /**
   * Start the echo server in `ns` as `name` on TCP and UDP `port`: it answers each connection
   * with "<name> <client address it saw> <its address reached>", each datagram with "<name>
   * <client address>". Resolves once it listens.
   */
  async echoServer(ns: string, name: string, port: number): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ECHO_SERVER, name, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.push(child);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`echo server ${name} in ${ns} exited ${code}: ${stderr}`)));
    });
  }

  /** `count` TCP connections (or UDP datagrams, each from a new socket) from `ns` to host:port, one after another. */
  async probe(ns: string, proto: 'tcp' | 'udp', host: string, port: number, count = 1, timeoutMs = 3000): Promise<ProbeResult[]> {
    const out = await runChecked(spawnCommand, ['ip', 'netns', 'exec', ns, process.execPath, PROBE, proto, host, String(port), String(count), String(timeoutMs)]);
    return JSON.parse(out) as ProbeResult[];
  }

  /** Stop every server (by PID), then delete every namespace (their links go with them). */
  async cleanup(): Promise<void> {
    for (const child of this.processes) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        // `ip netns exec` execs node in place, so this PID is the server itself.
        child.kill('SIGKILL');
        await exited;
      }
    }
    const failures: string[] = [];
    for (const ns of this.namespaces.reverse()) {
      const r = await spawnCommand(['ip', 'netns', 'delete', ns]);
      if (r.exitCode !== 0) failures.push(`${ns}: ${r.stderr.trim()}`);
    }
    this.namespaces.length = 0;
    if (failures.length) throw new Error(`could not delete network namespaces: ${failures.join('; ')}`);
  }

  /** Namespaces of this lab still present on the host (for the leak check). */
  async leftovers(): Promise<string[]> {
    const listed = await runChecked(spawnCommand, ['ip', 'netns', 'list']);
    return listed
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n.startsWith(`${this.id}-`));
  }
}
