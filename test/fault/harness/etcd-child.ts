/**
 * A master's etcd member as a fault target: the master runs it as its child (src/master/etcd/),
 * so the harness finds it in /proc (the master's child named `etcd`) rather than owning it.
 * `kill -9` is the loss of the member: the master starts it again from its data at once, and
 * the heal waits until it runs again. SIGSTOP freezes the member alone (the master goes on).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { FaultTarget, HostProcess } from './host-process.ts';
import { waitUntil } from './hosts.ts';

/** `/proc/PID/stat`: its command name, state and parent. */
function stat(pid: number): { comm: string; state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const [state, ppid] = text.slice(close + 2).split(' ');
    return { comm: text.slice(text.indexOf('(') + 1, close), state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** The live (not zombie) process named `etcd` whose parent is `parent`. */
export function etcdChildOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s && s.ppid === parent && s.comm === 'etcd' && s.state !== 'Z') return pid;
  }
  return undefined;
}

export class EtcdChild implements FaultTarget {
  readonly role = 'etcd' as const;
  readonly text = '';
  private paused: number | undefined;

  constructor(private readonly master: HostProcess) {}

  get name(): string {
    return `etcd@${this.master.spec.host}`;
  }

  get spec(): { host: string } {
    return { host: this.master.spec.host };
  }

  get pid(): number | undefined {
    const parent = this.master.pid;
    return parent === undefined ? undefined : etcdChildOf(parent);
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  get isPaused(): boolean {
    return this.paused !== undefined && this.paused === this.pid;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    process.kill(pid, signal);
    if (signal === 'SIGKILL') {
      this.paused = undefined;
      await waitUntil(async () => stat(pid) === undefined || stat(pid)!.state === 'Z' || stat(pid)!.ppid !== this.master.pid, 5_000, () => `${this.name} (pid ${pid}) still there after SIGKILL`);
    }
  }

  pause(): void {
    const pid = this.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGSTOP');
    this.paused = pid;
  }

  resume(): void {
    if (this.paused !== undefined) {
      try {
        process.kill(this.paused, 'SIGCONT');
      } catch {
        /* gone with its master */
      }
    }
    this.paused = undefined;
  }

  /** The master restarts its member itself: wait until it runs again (or the master is down: its own heal brings both). */
  async start(timeoutMs = 30_000): Promise<void> {
    await waitUntil(async () => this.running || !this.master.running, timeoutMs, () => `${this.name}: the master did not start its member again`);
  }

  reapGroups(): void {}

  /** It stops with its master. */
  async stop(): Promise<void> {
    this.resume();
  }
}
