/**
 * The daemon's side of the fence watchdog: make sure one runs for this data dir (reuse the one a
 * previous daemon left, replace one that guards something else or speaks another version, start
 * one otherwise), then tell it every renewal's deadline.
 *
 * A clean stop: when no pod of the node is left running (the process runtime always kills its
 * containers as it closes; `close()` without keepContainers removes them), the watchdog is
 * retired. When containers are kept for the next daemon (`kactus node` on SIGTERM, Docker), the
 * watchdog stays armed with the last deadline: the masters fail those pods once the node's Lease
 * runs out whatever the reason the daemon stopped, so if no daemon renews in time the watchdog
 * stops them, exactly as after a kill.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DataDirLockedError, lockDataDir } from '../../src/os/dir-lock.ts';
import {
  FENCE_WATCHDOG_VERSION,
  fenceDir,
  isAlive,
  readFenceRecord,
  readWatchdogInfo,
  selfIdentity,
  watchdogLogPath,
  writeFenceRecord,
  type FencedRuntime,
  type ProcessIdentity,
  type WatchdogInfo,
} from './files.ts';

export interface FenceWatchdogOptions {
  dataDir: string;
  runtime: FencedRuntime;
  /** The runtime scope whose pods it stops (the daemon's `runtimeScope`). */
  scope: string;
  dockerSocket?: string;
  log(line: string): void;
  /** How long a new watchdog may take to come up (default 20 s: tsx compiles on a cold start). */
  startTimeoutMs?: number;
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export class FenceWatchdog {
  private readonly me: ProcessIdentity = selfIdentity();
  private respawning: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly opts: FenceWatchdogOptions,
    private current: WatchdogInfo,
  ) {}

  /** The running watchdog's process. */
  get process(): ProcessIdentity {
    return { pid: this.current.pid, startTicks: this.current.startTicks };
  }

  /**
   * Finds or starts the data dir's watchdog, and takes over its deadline record (the deadline a
   * previous daemon left stands: its pods, adopted or not, are guarded until this daemon renews).
   */
  static async ensure(opts: FenceWatchdogOptions): Promise<FenceWatchdog> {
    const previous = readFenceRecord(opts.dataDir);
    const deadline = previous && !('retired' in previous) ? previous : { deadlineNs: null, fenceAfterMs: 0 };
    writeFenceRecord(opts.dataDir, { writer: selfIdentity(), deadlineNs: deadline.deadlineNs, fenceAfterMs: deadline.fenceAfterMs });
    return new FenceWatchdog(opts, await findOrStart(opts));
  }

  /** A renewal: the node's pods must be stopped `remainingMs` from now unless a newer one comes. */
  renew(remainingMs: number, fenceAfterMs: number): void {
    if (this.closed) return;
    const deadlineNs = process.hrtime.bigint() + BigInt(Math.round(remainingMs * 1e6));
    writeFenceRecord(this.opts.dataDir, { writer: this.me, deadlineNs: String(deadlineNs), fenceAfterMs });
    // Killed by someone, or it left just as we took it over: start another (the record is there for it).
    if (!this.respawning && !isAlive(this.current)) {
      this.opts.log(`fence watchdog (pid ${this.current.pid}) is gone: starting another`);
      this.respawning = findOrStart(this.opts)
        .then((info) => void (this.current = info))
        .catch((err: unknown) => this.opts.log(`fence watchdog: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => (this.respawning = undefined));
    }
  }

  /** The daemon stops and no pod of the node runs: the watchdog exits (waited for). */
  async retire(): Promise<void> {
    this.closed = true;
    await this.respawning;
    writeFenceRecord(this.opts.dataDir, { writer: this.me, retired: true });
    // Its lock is freed as it exits (the kernel closes its descriptors), a moment before it is gone.
    const end = performance.now() + 3000;
    while (isAlive(this.current)) {
      if (performance.now() > end) {
        this.opts.log(`fence watchdog (pid ${this.current.pid}) did not exit after its retirement`);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The daemon stops and leaves its containers: the watchdog stays armed with the last deadline. */
  async detach(): Promise<void> {
    this.closed = true;
    await this.respawning;
  }
}

/** The running watchdog when it guards what we would; otherwise a new one (the other stopped first). */
async function findOrStart(opts: FenceWatchdogOptions): Promise<WatchdogInfo> {
  const dir = fenceDir(opts.dataDir);
  try {
    // Free: no watchdog runs. Released at once; the one we start takes it.
    (await lockDataDir(dir, { waitMs: 10 }))();
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    const info = readWatchdogInfo(opts.dataDir);
    if (info && info.pid === err.pid && matches(info, opts) && isAlive(info)) {
      opts.log(`fence watchdog running (pid ${info.pid})`);
      return info;
    }
    // Another version, runtime or scope (or not yet written): stop it and wait for its lock.
    if (err.pid !== undefined) {
      opts.log(`replacing the fence watchdog pid ${err.pid} (it guards ${info ? `${info.runtime} scope ${info.scope}, version ${info.version}` : 'something unknown'})`);
      try {
        process.kill(err.pid, 'SIGTERM');
      } catch {
        /* gone already */
      }
    }
    (await lockDataDir(dir, { waitMs: 5000 }))();
  }
  return start(opts);
}

function matches(info: WatchdogInfo, opts: FenceWatchdogOptions): boolean {
  return info.version === FENCE_WATCHDOG_VERSION && info.runtime === opts.runtime && info.scope === opts.scope && (opts.runtime !== 'docker' || info.dockerSocket === opts.dockerSocket);
}

async function start(opts: FenceWatchdogOptions): Promise<WatchdogInfo> {
  const args = ['--import', import.meta.resolve('tsx'), MAIN, '--data-dir', opts.dataDir, '--runtime', opts.runtime, '--scope', opts.scope];
  if (opts.runtime === 'docker' && opts.dockerSocket) args.push('--docker-socket', opts.dockerSocket);
  const out = openSync(watchdogLogPath(opts.dataDir), 'a');
  let exited: string | undefined;
  let pid: number | undefined;
  try {
    // detached: setsid, so neither a signal to the daemon's group nor its death reaches the watchdog;
    // output to a file, not pipes the daemon would hold.
    const child = spawn(process.execPath, args, { cwd: fenceDir(opts.dataDir), detached: true, stdio: ['ignore', out, out] });
    pid = child.pid;
    child.once('error', (err) => (exited = err.message));
    child.once('exit', (code, signal) => (exited = `exited ${code ?? signal}`));
    child.unref();
  } finally {
    closeSync(out);
  }
  const deadline = performance.now() + (opts.startTimeoutMs ?? 20_000);
  for (;;) {
    const info = readWatchdogInfo(opts.dataDir);
    if (info !== undefined && info.pid === pid) {
      opts.log(`fence watchdog started (pid ${pid}; log ${watchdogLogPath(opts.dataDir)})`);
      return info;
    }
    if (exited !== undefined) throw new Error(`the fence watchdog ${exited} before it was up (see ${watchdogLogPath(opts.dataDir)})`);
    if (performance.now() > deadline) {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
      throw new Error(`the fence watchdog was not up within ${opts.startTimeoutMs ?? 20_000} ms (see ${watchdogLogPath(opts.dataDir)})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
