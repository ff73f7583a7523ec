/**
 * `kactus master` with its own etcd member (src/master/etcd/), for tests and the fault harness:
 * the CLI arguments of the first master (`--cluster-init`) and of the others (`--server URL
 * --token T`), and a runner that starts one as a child process and reads what it prints (API URL,
 * kubeconfig, etcd pid, the join line). The arguments are plain strings so the harness can run
 * them anywhere — inside a network namespace with `ip netns exec NS node bin/kactus.js …ARGS`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { KactusProcess } from './kactus-cli.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** `bin/kactus.js`: run it as `node KACTUS_BIN ...masterWithEtcdArgs(...)`. */
export const KACTUS_BIN = fileURLToPath(new URL('../../bin/kactus.js', import.meta.url));

export interface MasterWithEtcdOptions {
  /** `--cluster-init` (the first master) … */
  init?: boolean;
  /** … or the master to join through (`https://IP:PORT`) and the master join token (`K10…`). */
  server?: string;
  token?: string;
  /** `--advertise-address`: the API, the mesh and the etcd peer port listen there. */
  advertise: string;
  dataDir: string;
  /** `--name` (also the etcd member's name); must differ between masters. */
  name: string;
  /** API port (default 0: one the OS picks; the join line names the one it got). */
  port?: number;
  /** etcd client port on 127.0.0.1 (default 2379: give distinct ones to masters sharing a loopback). */
  clientPort?: number;
  /** etcd peer port on the advertise address (default 2380). */
  peerPort?: number;
  /**
   * etcd flags without dashes (`heartbeat-interval=50`); default: heartbeat 50 ms, election
   * timeout 500 ms (as test/support/etcd.ts) so a lost member's leadership moves within ~1 s.
   */
  etcdArgs?: string[];
  /** More `kactus master` flags (`--node-monitor-grace-period 4`, `--mesh-listen …`). */
  extraArgs?: string[];
}

export const FAST_ETCD_ARGS = ['heartbeat-interval=50', 'election-timeout=500'];

/** The arguments after `node bin/kactus.js` for one master with its member. */
export function masterWithEtcdArgs(o: MasterWithEtcdOptions): string[] {
  if (o.init === (o.server !== undefined)) throw new Error('masterWithEtcdArgs: give init, or server and token');
  if (o.server !== undefined && o.token === undefined) throw new Error('masterWithEtcdArgs: server needs token');
  // prettier-ignore
  return [
    'master',
    '--data-dir', o.dataDir,
    '--name', o.name,
    '--advertise-address', o.advertise,
    '--port', String(o.port ?? 0),
    ...(o.init ? ['--cluster-init'] : ['--server', o.server!, '--token', o.token!]),
    ...(o.clientPort !== undefined ? ['--etcd-client-port', String(o.clientPort)] : []),
    ...(o.peerPort !== undefined ? ['--etcd-peer-port', String(o.peerPort)] : []),
    ...(o.etcdArgs ?? FAST_ETCD_ARGS).flatMap((a) => ['--etcd-arg', a]),
    ...(o.extraArgs ?? []),
  ];
}

/** A running master and what it printed. */
export interface MasterWithEtcd {
  proc: KactusProcess;
  /** `https://ADVERTISE:PORT`. */
  url: string;
  kubeconfig: string;
  /** Its etcd member's pid at start (the `kactus: etcd member … (pid N)` line; after a restart of etcd alone see currentEtcdPid). */
  etcdPid: number;
  /** `initialized`, `joined` or `restarted`. */
  started: string;
  /** The first master's `K10…` token (only it prints one). */
  joinToken?: string;
  args: string[];
  /** The network namespace it runs in, if any. */
  netns?: string;
}

/**
 * Starts `node bin/kactus.js ARGS` — inside network namespace `opts.netns` when given (`ip netns
 * exec` execs node, so the child's pid is the master's) — and waits until it is ready (rejects if
 * it exits first).
 */
export async function startMasterWithEtcd(args: string[], opts: { netns?: string; timeoutMs?: number } = {}): Promise<MasterWithEtcd> {
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const [cmd, ...cmdArgs] = [...(opts.netns ? ['ip', 'netns', 'exec', opts.netns] : []), process.execPath, KACTUS_BIN, ...args];
  const proc = new KactusProcess(spawn(cmd!, cmdArgs, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    await proc.until('ready', (p) => p.lines.some((l) => l.startsWith('kactus: ready')), timeoutMs);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  const find = (re: RegExp): RegExpExecArray | undefined => proc.lines.map((l) => re.exec(l)).find((m) => m !== null) ?? undefined;
  const member = find(/^kactus: etcd member \S+ (\w+) \(pid (\d+)\)/)!;
  return {
    proc,
    url: find(/^kactus: API server listening on (\S+)/)![1]!,
    kubeconfig: find(/^kactus: kubeconfig written to (\S+)/)![1]!,
    etcdPid: Number(member[2]),
    started: member[1]!,
    ...(find(/--token (K10\S+)/) ? { joinToken: find(/--token (K10\S+)/)![1]! } : {}),
    args,
    ...(opts.netns ? { netns: opts.netns } : {}),
  };
}

/** The pid of a master's etcd now: the last `restarted it (pid N)` line, else the first one. */
export function currentEtcdPid(m: MasterWithEtcd): number {
  const restarted = m.proc.lines.map((l) => /^kactus: etcd member exited .*; restarted it \(pid (\d+)\)/.exec(l)).filter((x) => x !== null).pop();
  return restarted ? Number(restarted[1]) : m.etcdPid;
}

/** True while `pid` runs (a zombie — dead, not yet reaped — counts as gone). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) S ..."; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** `count` distinct free ports on 127.0.0.1 (bound to port 0, then released). */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}
