/**
 * The delay line (delay-line.ts) and latency through NetworkFaults on two namespaces of their own:
 * a TCP echo server in a host, the test process on the switch; the round trip measured before,
 * during (≈ 2 × delay: each direction crosses the line once) and after; a bulk echo comes back
 * intact through it; the heal leaves the switch as it was (port on br0, no TAP, no bridge, the
 * program gone). Root, network namespaces, /dev/net/tun and /usr/bin/python3 needed; skipped
 * otherwise. Runs in the default suite (a few seconds).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canMakeNetns, makeTestNetwork, type NetHost, type TestNetwork } from '../../support/netns.ts';
import { startDelayLine } from './delay-line.ts';
import { NetworkFaults } from './network-faults.ts';

const exec = promisify(execFile);
const ECHO_PORT = 7790;

const enabled =
  (await canMakeNetns()) &&
  (await Promise.all([access('/dev/net/tun'), access('/usr/bin/python3')]).then(
    () => true,
    () => false,
  ));

let net: TestNetwork | undefined;
let echo: ChildProcess | undefined;
let host: NetHost;

/** A TCP echo server in `h`'s namespace (this Node, run there by nsenter); resolves once it listens. */
async function startEcho(h: NetHost): Promise<ChildProcess> {
  const script = `require('node:net').createServer((s) => s.pipe(s)).listen(${ECHO_PORT}, '${h.ip}', () => console.log('listening'))`;
  const child = spawn('nsenter', [`--net=/run/netns/${h.netns}`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
  });
  return child;
}

/** Sends `payload` to the echo server and resolves with what came back and how long it took. */
async function echoOnce(payload: Buffer, timeoutMs = 10_000): Promise<{ ms: number; back: Buffer }> {
  const socket: Socket = connect({ host: host.ip, port: ECHO_PORT });
  socket.setNoDelay(true);
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error('echo timed out')));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  try {
    const chunks: Buffer[] = [];
    let got = 0;
    const start = performance.now();
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (d: Buffer) => {
        chunks.push(d);
        got += d.length;
        if (got >= payload.length) resolve();
      });
      socket.once('error', reject);
    });
    socket.write(payload);
    await done;
    return { ms: performance.now() - start, back: Buffer.concat(chunks) };
  } finally {
    socket.destroy();
  }
}

/** The median of a few one-byte round trips on one connection each (the handshake not counted). */
async function rttMs(samples = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push((await echoOnce(Buffer.from('x'))).ms);
  times.sort((a, b) => a - b);
  return times[Math.floor(samples / 2)]!;
}

/** The switch's links whose name starts with `dl` (what a delay line adds), and the master of `port`. */
async function switchState(port: string): Promise<{ delayLinks: string[]; portMaster: string | undefined }> {
  const { stdout } = await exec('ip', ['-n', net!.switchNetns, '-j', 'link', 'show']);
  const links = JSON.parse(stdout) as { ifname: string; master?: string }[];
  return { delayLinks: links.map((l) => l.ifname).filter((n) => n.startsWith('dl')), portMaster: links.find((l) => l.ifname === port)?.master };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!enabled)('the delay line', () => {
  beforeAll(async () => {
    net = await makeTestNetwork(2);
    host = net.hosts[0]!;
    echo = await startEcho(host);
  });

  afterAll(async () => {
    if (echo?.pid !== undefined && echo.exitCode === null) process.kill(echo.pid, 'SIGKILL');
    await net?.remove();
  });

  it('delays both directions by the delay, keeps a bulk stream intact, and leaves nothing behind', async () => {
    const before = await rttMs();
    expect(before).toBeLessThan(20);
    const line = await startDelayLine({ switchNetns: net!.switchNetns, port: host.switchPort, delayMs: 40 });
    try {
      expect(await switchState(host.switchPort)).toEqual({ delayLinks: [`dl${host.switchPort}`, `dl${host.switchPort}a`, `dl${host.switchPort}b`].sort(), portMaster: `dl${host.switchPort}` });
      const during = await rttMs();
      expect(during).toBeGreaterThanOrEqual(80);
      expect(during).toBeLessThan(80 + 60);
      // 2 MB each way through the line: every byte back, in order.
      const bulk = randomBytes(2 * 1024 * 1024);
      const { back, ms } = await echoOnce(bulk, 20_000);
      expect(back.equals(bulk)).toBe(true);
      console.log(`delay line 40 ms: RTT ${before.toFixed(1)} → ${during.toFixed(1)} ms; 2 MB echoed in ${ms.toFixed(0)} ms`);
    } finally {
      await line.stop();
    }
    expect(alive(line.pid)).toBe(false);
    expect(await switchState(host.switchPort)).toEqual({ delayLinks: [], portMaster: 'br0' });
    expect(await rttMs()).toBeLessThan(20);
  });

  it('makes latency faults through NetworkFaults (netem where the kernel has it, else the delay line), changed and cleared', async () => {
    const faults = new NetworkFaults(net!);
    const support = await faults.latencySupport();
    expect(support.available).toBe(true);
    expect(support.by).toBe((await faults.netemSupport()).available ? 'netem' : 'delay line');
    try {
      expect(await faults.shapeLink(host, { delayMs: 30, jitterMs: 5 })).toBeUndefined();
      const first = await rttMs();
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThan(70 + 60);
      // Loss set while the delay stands leaves the delay in force; a new delay replaces it.
      expect(await faults.shapeLink(host, { lossPercent: 0 })).toBeUndefined();
      expect(await faults.shapeLink(host, { delayMs: 60, jitterMs: 0 })).toBeUndefined();
      const second = await rttMs();
      expect(second).toBeGreaterThanOrEqual(120);
      expect(second).toBeLessThan(120 + 60);
      expect(faults.clean).toBe(false);
      await faults.shapeLink(host, { delayMs: undefined, jitterMs: undefined, lossPercent: undefined });
      expect(faults.clean).toBe(true);
      expect(await rttMs()).toBeLessThan(20);
      // clear() (heal-all, close) removes a line still in force.
      await faults.shapeLink(host, { delayMs: 20 });
      expect(await rttMs()).toBeGreaterThanOrEqual(40);
    } finally {
      await faults.clear();
    }
    expect(faults.clean).toBe(true);
    expect(await switchState(host.switchPort)).toEqual({ delayLinks: [], portMaster: 'br0' });
    expect(await rttMs()).toBeLessThan(20);
  });
});
