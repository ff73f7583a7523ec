/**
 * The local etcd member as a child process of the master (Debian's `/usr/bin/etcd`, or `ETCD_BIN`).
 *
 * Owned by the master: started before the store opens, stopped after it closes (SIGTERM, then
 * SIGKILL if it has not exited within 10 s), and killed with the master if the master dies:
 * it is started through util-linux's `setpriv --pdeathsig KILL`, which asks the kernel to send
 * SIGKILL to the child the moment its parent dies (prctl PR_SET_PDEATHSIG, kept across exec),
 * so a `kill -9` of the master leaves no orphan etcd holding the ports and the data dir.
 *
 * Its log (etcd's zap JSON lines) is appended to `DATA_DIR/etcd.log`; the last lines are kept in
 * memory for error messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { isIPv6 } from 'node:net';
import { PEER_COMMON_NAME } from './peer-certificates.ts';

/** The etcd binary; `ETCD_BIN` overrides Debian's location (test/support/etcd.ts reads the same variable). */
export const ETCD_BINARY = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';
const SETPRIV = '/usr/bin/setpriv';
const LOG_TAIL_CHARS = 4000;
const STOP_GRACE_MS = 10_000;

/** Everything that decides the member's command line. */
export interface EtcdMemberConfig {
  /** The member's name (the master's `--name`). */
  name: string;
  /** etcd's data dir (`DATA_DIR/etcd`). */
  dataDir: string;
  /** The address peers reach this member on (`--advertise-address`). */
  advertise: string;
  /** Client port, served on 127.0.0.1 only: this machine's master is the only client. */
  clientPort: number;
  /** Peer port, served on the advertise address (TLS). */
  peerPort: number;
  /** `name=https://ip:port,...` of every member, this one included. */
  initialCluster: string;
  /** `new` for the first member of a cluster, `existing` for a joiner (ignored by etcd once it has data). */
  clusterState: 'new' | 'existing';
  /** `--initial-cluster-token`, unique per cluster, so members of two clusters never mistake each other. */
  clusterToken: string;
  /** PEM files: the cluster CA, this member's peer certificate and key (peer-certificates.ts). */
  tls: { caFile: string; certFile: string; keyFile: string };
  /** `--etcd-arg KEY=VALUE` of `kactus master`, passed as `--KEY=VALUE` after ours (so they win). */
  extraArgs?: readonly string[];
}

/** `host:port` with IPv6 brackets. */
export function hostPort(host: string, port: number): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** The URL peers reach a member on. */
export function peerUrlOf(advertise: string, peerPort: number): string {
  return `https://${hostPort(advertise, peerPort)}`;
}

/** The client URL the local master's store uses. */
export function clientUrlOf(clientPort: number): string {
  return `http://127.0.0.1:${clientPort}`;
}

/** etcd's arguments for `config` (pure, so a test or the fault harness can read them). */
export function etcdMemberArgs(config: EtcdMemberConfig): string[] {
  const client = clientUrlOf(config.clientPort);
  const peer = peerUrlOf(config.advertise, config.peerPort);
  // prettier-ignore
  return [
    '--name', config.name,
    '--data-dir', config.dataDir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', config.initialCluster,
    '--initial-cluster-state', config.clusterState,
    '--initial-cluster-token', config.clusterToken,
    // Peers over TLS with certificates of the cluster CA, and only those made for members.
    '--peer-trusted-ca-file', config.tls.caFile,
    '--peer-cert-file', config.tls.certFile,
    '--peer-key-file', config.tls.keyFile,
    '--peer-client-cert-auth',
    '--peer-cert-allowed-cn', PEER_COMMON_NAME,
    // Watch progress for idle watchers (the store's onProgress; src/store/README.md advises 5 s–1 min).
    '--experimental-watch-progress-notify-interval', '5s',
    // Raft timing for machines on one LAN (etcd's defaults, 100/1000 ms, are for WANs too): a
    // lost etcd leader is replaced in 0.5–1 s rather than 1–2 s, so writes resume within the
    // leader master's own 1 s lease handoff (issue 14: ≤ 2 s). The election timeout stays ten
    // heartbeats, as etcd's tuning guide asks; `--etcd-arg heartbeat-interval=…` overrides both.
    '--heartbeat-interval', '50', '--election-timeout', '500',
    '--logger', 'zap', '--log-outputs', 'stderr',
    ...(config.extraArgs ?? []).map((a) => `--${a.replace(/^--/, '')}`),
  ];
}

/** How the member ended. */
export interface MemberExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The running member. */
export class EtcdMemberProcess {
  /** Resolves when the process has exited (for whatever reason). */
  readonly exited: Promise<MemberExit>;
  private tail = '';
  private exit: MemberExit | undefined;
  private stopping: Promise<MemberExit> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly config: EtcdMemberConfig,
    log: WriteStream,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        log.end();
        resolve(this.exit);
      });
      // A spawn that fails (no setpriv, no etcd) emits 'error' and no 'exit'.
      child.once('error', (err) => {
        this.tail += `\n${err.message}`;
        if (!this.exit) {
          this.exit = { code: null, signal: null };
          log.end();
          resolve(this.exit);
        }
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.tail = (this.tail + chunk).slice(-LOG_TAIL_CHARS);
      log.write(chunk);
    });
  }

  /** Spawns etcd (with the parent-death signal); `logFile` receives its log. */
  static start(config: EtcdMemberConfig, logFile: string): EtcdMemberProcess {
    // A process group of its own (`detached`): a Ctrl-C in the master's terminal signals the whole
    // foreground group, and etcd must outlive the master's graceful close, which still writes to it.
    const child = spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', ETCD_BINARY, ...etcdMemberArgs(config)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    return new EtcdMemberProcess(child, config, createWriteStream(logFile, { flags: 'a', mode: 0o600 }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The exit, once it happened. */
  get exitStatus(): MemberExit | undefined {
    return this.exit;
  }

  /** The last few KB of etcd's log. */
  logTail(): string {
    return this.tail;
  }

  /** True when the member answers `/health` with `"health":"true"` (it has a leader and its raft works). */
  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${clientUrlOf(this.config.clientPort)}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: unknown };
      return body.health === 'true';
    } catch {
      return false;
    }
  }

  /**
   * Resolves once the member is healthy; rejects if it exits first. `waiting` is told every
   * `reportEveryMs` while it is not (a member without quorum waits for its peers, with no deadline).
   */
  async waitHealthy(waiting?: (elapsedMs: number) => void, reportEveryMs = 10_000): Promise<void> {
    const started = Date.now();
    let reported = started;
    for (;;) {
      if (this.exit) throw new Error(`etcd exited (${describeExit(this.exit)}) before it was healthy:\n${this.tail.trim().split('\n').slice(-8).join('\n')}`);
      if (await this.healthy()) return;
      if (waiting && Date.now() - reported >= reportEveryMs) {
        reported = Date.now();
        waiting(reported - started);
      }
      await Promise.race([new Promise((r) => setTimeout(r, 100)), this.exited]);
    }
  }

  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. Idempotent. */
  stop(): Promise<MemberExit> {
    if (this.exit) return Promise.resolve(this.exit);
    this.stopping ??= (async () => {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.stopping;
  }
}

/** `code 1` / `signal SIGKILL`. */
export function describeExit(exit: MemberExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code ?? 'unknown'}`;
}
