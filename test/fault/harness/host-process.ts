/**
 * One long-running program on a test host (etcd, `kactus master`, `kactus node`), run inside the
 * host's network namespace with `nsenter --net=` (it execs, so the child's PID is the program's
 * own, and it keeps the mount namespace: `ip netns exec` would remount /sys). The harness owns it
 * by PID: it can be killed (`kill -9`), paused (`SIGSTOP`/`SIGCONT`) and started again with the
 * same command line on the same data dir.
 *
 * Each child leads a process group of its own, so a stop reaches whatever it forked and kept in
 * its group; programs that detach their children (the process runtime's pods) are swept by the
 * caller's `cleanup`. Output goes to a log file beside the data dir and a tail kept in memory,
 * which `waitFor` reads (lines printed since the latest start only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { repoRoot } from '../../e2e/harness.ts';

export type ProcessRole = 'etcd' | 'master' | 'node';

export interface HostProcessSpec {
  /** e.g. `etcd@m0`: what the fault log names. */
  name: string;
  role: ProcessRole;
  /** The host's name in the harness (`m0`, `n1`). */
  host: string;
  netns: string;
  command: string;
  args: string[];
  /** Appended to across restarts. */
  logFile: string;
  /** Resolves once the program serves (after a start); rejects at the deadline. */
  ready(proc: HostProcess, timeoutMs: number): Promise<void>;
  /** Called after the program is gone for good (close): sweep what it detached. */
  cleanup?(): Promise<void>;
}

/**
 * What a fault can be done to and a heal can bring back: a program the harness runs
 * (HostProcess) or one a program runs itself (a master's etcd member, master-host.ts).
 */
export interface FaultTarget {
  readonly name: string;
  readonly role: ProcessRole;
  readonly spec: { readonly host: string };
  readonly running: boolean;
  readonly isPaused: boolean;
  /** The output of the current run ('' when the harness does not hold it). */
  readonly text: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  pause(): void;
  resume(): void;
  /** Brings it back after a kill and waits until it serves. */
  start(timeoutMs?: number): Promise<void>;
  reapGroups(): void;
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_TAIL_CHARS = 64_000;

/** Process groups started here and still alive: SIGKILLed if the test process exits without close(). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function killGroupsOnExit(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is gone */
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.KUBECONFIG;
  return env;
}

export class HostProcess implements FaultTarget {
  private child: ChildProcess | undefined;
  private exitedPromise: Promise<void> = Promise.resolve();
  private output = '';
  /** Offset in `output` where the current run's lines begin. */
  private runStart = 0;
  private readonly waiters = new Set<() => void>();
  private log: WriteStream | undefined;
  private paused = false;
  /** Process groups of this program's runs that may still hold processes. */
  private readonly groups = new Set<number>();
  /** Set by stop(): a heal still under way must not start the program again after a close. */
  private closed = false;
  /** Starts so far (1 after the first start). */
  starts = 0;

  constructor(readonly spec: HostProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get role(): ProcessRole {
    return this.spec.role;
  }

  /** PID of the running program, if any. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get isPaused(): boolean {
    return this.running && this.paused;
  }

  /** The output of the current (or latest) run. */
  get text(): string {
    return this.output.slice(this.runStart);
  }

  /** Spawns the program (it must not be running) and waits until it is ready. */
  async start(timeoutMs = 60_000): Promise<void> {
    this.spawn();
    await this.spec.ready(this, timeoutMs);
  }

  /** Spawns the program without waiting for it to be ready. */
  spawn(): void {
    if (this.closed) throw new Error(`${this.name} is stopped for good (the cluster is closing)`);
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.child?.pid})`);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', killGroupsOnExit);
    }
    this.log ??= createWriteStream(this.spec.logFile, { flags: 'a' });
    this.log.write(`\n=== ${new Date().toISOString()} start #${this.starts + 1}: ${this.spec.command} ${this.spec.args.join(' ')}\n`);
    const child = spawn('nsenter', [`--net=/run/netns/${this.spec.netns}`, '--', this.spec.command, ...this.spec.args], {
      cwd: repoRoot,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.paused = false;
    this.starts += 1;
    this.runStart = this.output.length;
    const pid = child.pid;
    if (pid !== undefined) {
      liveGroups.add(pid);
      this.groups.add(pid);
    }
    const onData = (chunk: string): void => {
      this.log?.write(chunk);
      this.output += chunk;
      if (this.output.length > OUTPUT_TAIL_CHARS * 2) {
        const drop = this.output.length - OUTPUT_TAIL_CHARS;
        this.output = this.output.slice(drop);
        this.runStart = Math.max(0, this.runStart - drop);
      }
      for (const w of this.waiters) w();
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    this.exitedPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.log?.write(`\n=== ${new Date().toISOString()} exited: ${signal ?? `code ${code}`}\n`);
        // A group emptied by the exit is forgotten at once, so no later kill can reach a reused id.
        if (pid !== undefined && !groupAlive(pid)) {
          liveGroups.delete(pid);
          this.groups.delete(pid);
        }
        for (const w of this.waiters) w();
        resolve();
      });
      child.once('error', (err) => {
        this.log?.write(`\n=== spawn failed: ${err.message}\n`);
        resolve();
      });
    });
  }

  /** Resolves with the first match of `pattern` in this run's output; rejects at the deadline or on exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.text.match(pattern);
        if (m) finish(() => resolve(m));
        else if (!this.running) finish(() => reject(new Error(`${this.name} exited before printing ${pattern}:\n${this.text.slice(-3000)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.text.slice(-3000)}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends `signal` to the program (only it, not its group); for SIGKILL waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!this.running || child?.pid === undefined) return;
    process.kill(child.pid, signal);
    if (signal === 'SIGKILL') {
      await this.exitedPromise;
      this.paused = false;
    }
  }

  /** SIGSTOP: the program stays, frozen (its sockets open, its peers' packets unanswered). */
  pause(): void {
    if (!this.running || this.child?.pid === undefined) return;
    process.kill(this.child.pid, 'SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT. */
  resume(): void {
    if (!this.running || this.child?.pid === undefined) return;
    process.kill(this.child.pid, 'SIGCONT');
    this.paused = false;
  }

  /**
   * Ends the program for good: SIGCONT (a stopped process cannot act on SIGTERM), SIGTERM, SIGKILL
   * of its whole group after `graceMs`, then the caller's sweep. Idempotent.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.closed = true;
    const pgid = this.child?.pid;
    if (pgid !== undefined && this.running) {
      signalGroup(pgid, 'SIGCONT');
      signalGroup(pgid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), graceMs);
      await this.exitedPromise;
      clearTimeout(timer);
    }
    this.reapGroups();
    this.paused = false;
    await this.spec.cleanup?.();
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = undefined;
  }

  /** SIGKILLs what is left of earlier runs' process groups (not the running one's). */
  reapGroups(): void {
    const current = this.running ? this.child?.pid : undefined;
    for (const pgid of this.groups) {
      if (pgid === current) continue;
      signalGroup(pgid, 'SIGKILL');
      liveGroups.delete(pgid);
      this.groups.delete(pgid);
    }
  }
}
