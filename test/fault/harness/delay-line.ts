/**
 * Latency without sch_netem: a delay line in user space on a host's switch port.
 *
 * The kernel here has no qdisc that can hold packets back (no netem, fq, etf or plug; no BPF
 * compiler either, and nothing would honour a BPF-set departure time without fq), so frames go
 * through a program that holds them: `delay-line.py`, run in the switch namespace, owns two TAP
 * devices and moves every frame from one to the other after delay ± jitter, in order per
 * direction. The host's port is taken off `br0` into a bridge of its own with the first TAP; the
 * second TAP joins `br0` in its place:
 *
 *     host eth0 ⇄ (veth) ⇄ port ─ bridge dl<port> ─ TAP dl<port>a ⇄ delay-line.py ⇄ TAP dl<port>b ─ br0
 *
 * Everything happens in the switch namespace the harness made: the host's own namespace (its
 * `eth0`, address, routes, MAC and sockets) is not touched, so the peers' ARP caches stay right
 * and the heal has nothing of the host's to restore. Both directions are delayed (RTT + 2 × delay,
 * as netem on both ends of the veth). TAP devices have no offloads, so the kernel segments and
 * checksums what it hands over (frames of at most the MTU). Heal: the port back on `br0`, the
 * program stopped by PID (its TAPs vanish with it), the bridge deleted. The program also exits when
 * its stdin closes, and an exit hook SIGKILLs it, so none outlives the test process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Debian's python3 (bookworm: 3.11), not whatever `python3` a PATH finds first. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./delay-line.py', import.meta.url));

export interface DelayLineSupport {
  available: boolean;
  /** Why not, when it is not. */
  reason?: string;
}

export interface DelayLine {
  /** The program's PID (owned by this process). */
  readonly pid: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  /** Puts the port back on br0 and removes the program, its TAPs and the bridge (idempotent). */
  stop(): Promise<void>;
}

/** Programs started here and not yet stopped: SIGKILLed if the test process exits first. */
const live = new Set<number>();
let exitHookInstalled = false;
function killOnExit(): void {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
}

const inNetns = (netns: string): string[] => ['nsenter', `--net=/run/netns/${netns}`];

/** Whether a delay line can run: python3 present and a TAP device can be made in `switchNetns`. */
export async function probeDelayLine(switchNetns: string): Promise<DelayLineSupport> {
  try {
    await access(PYTHON);
    await access('/dev/net/tun');
  } catch (err) {
    return { available: false, reason: `${(err as NodeJS.ErrnoException).path ?? String(err)} missing` };
  }
  const [cmd, ...args] = inNetns(switchNetns);
  try {
    await exec(cmd!, [...args, PYTHON, SCRIPT, '--probe', 'dlprobe'], { timeout: 10_000 });
    return { available: true };
  } catch (err) {
    return { available: false, reason: `cannot make a TAP device: ${((err as { stderr?: string }).stderr ?? String(err)).trim().split('\n').pop()}` };
  }
}

/** Resolves when `child` prints `ready`; rejects when it exits first or at the deadline. */
function ready(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => finish(new Error(`delay line not ready within ${timeoutMs} ms: ${err.trim()}`)), timeoutMs);
    const finish = (e?: Error): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onOut);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve();
    };
    const onOut = (d: Buffer): void => {
      out += d.toString();
      if (/^ready$/m.test(out)) finish();
    };
    const onExit = (code: number | null): void => finish(new Error(`delay line exited (${code ?? 'signal'}) before ready: ${err.trim()}`));
    child.stdout?.on('data', onOut);
    child.stderr?.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-2000)));
    child.once('exit', onExit);
  });
}

/** Stops `child` by its PID: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Puts a delay line on `port` (a host's veth end on `br0` in `switchNetns`): every frame to and
 * from the host waits `delayMs` ± `jitterMs` (uniform), in order.
 */
export async function startDelayLine(opts: { switchNetns: string; port: string; delayMs: number; jitterMs?: number }): Promise<DelayLine> {
  const { switchNetns: sw, port, delayMs } = opts;
  const jitterMs = opts.jitterMs ?? 0;
  const bridge = `dl${port}`;
  const [tapHost, tapSwitch] = [`${bridge}a`, `${bridge}b`];
  const ipn = (...args: string[]) => exec('ip', ['-n', sw, ...args]);
  // No IPv6 link-local addresses on the devices made here: they would chatter (MLD, RS) to the hosts.
  const quiet = (dev: string) => ipn('link', 'set', 'dev', dev, 'addrgenmode', 'none').catch(() => undefined);

  let child: ChildProcess | undefined;
  let moved = false;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Each step whatever the one before did: the program must go even if the port cannot move back.
      let failure: unknown;
      if (moved) await ipn('link', 'set', 'dev', port, 'master', 'br0').catch((err: unknown) => void (failure = err));
      if (child) {
        await stopChild(child);
        if (child.pid !== undefined) live.delete(child.pid);
      }
      await ipn('link', 'del', 'dev', bridge).catch(() => undefined);
      if (failure) throw failure;
    })());

  try {
    await ipn('link', 'add', 'name', bridge, 'type', 'bridge');
    await quiet(bridge);
    await ipn('link', 'set', 'dev', bridge, 'up');
    const [cmd, ...args] = inNetns(sw);
    // stdin stays a pipe: the program exits when it closes (this process gone).
    child = spawn(cmd!, [...args, PYTHON, SCRIPT, tapHost, tapSwitch, String(delayMs), String(jitterMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid !== undefined) live.add(child.pid);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', killOnExit);
    }
    await ready(child, 10_000);
    for (const tap of [tapHost, tapSwitch]) await quiet(tap);
    await ipn('link', 'set', 'dev', tapHost, 'master', bridge, 'up');
    await ipn('link', 'set', 'dev', tapSwitch, 'master', 'br0', 'up');
    // Last, so that the host loses its link only for the moment the port changes bridge.
    moved = true;
    await ipn('link', 'set', 'dev', port, 'master', bridge);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { pid: child.pid!, delayMs, jitterMs, stop };
}
