/**
 * The process runtime: each container's command runs as a plain host process. NO ISOLATION: no
 * namespaces, no image filesystem, no resource limits; every pod shares the host's network
 * (its IP is 127.0.0.1) and the daemon's user. It exists so `kactus up` works where Docker does
 * not, and for fast tests of real commands. Command rules (busybox-like images, mountPath
 * rewriting) are in process-launch.ts.
 *
 * State lives in the data dir, which is what listPods reads:
 *   sandboxes/<id>/pod.json                 the pod (the sandbox is this directory, the default cwd)
 *   containers/<id>/container.json          sandbox, pod, name, resolved command line
 *   containers/<id>/state.json              created | running (pid) | exited (code, times)
 *   containers/<id>/log                     CRI-style log lines (process-log.ts)
 * Each container is its own process group, so stop and kill reach the processes it forked; an
 * exec'd command (process-exec.ts) is a group of its own that is killed when the container exits. Its
 * processes do not outlive the runtime: close() kills them, and a runtime opened on a dir whose
 * previous owner died kills the leftovers it recorded (verified by start time, not pid alone).
 * One runtime instance per data dir.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { exitReason, resolveMounts, type ResolvedMount } from './container-spec.ts';
import { ContainerNotFoundError, ContainerNotRunningError, ContainerStartError, ImageNotPresentError, SandboxNotFoundError } from '../../src/runtime/errors.ts';
import { EventListeners } from './listeners.ts';
import { execStdin } from './exec-stdin.ts';
import { exitCodeOf, spawnGroup, startExec } from './process-exec.ts';
import { hostArgv, launchFor, type Launch } from './process-launch.ts';
import { ContainerLog, readLogFile } from './process-log.ts';
import { readProcStat, readProcStatSync, readRssBytes } from './process-proc.ts';
import type {
  AttachedProcess,
  AttachOptions,
  ContainerRuntime,
  ContainerSpec,
  ContainerStats,
  ContainerStatus,
  ExecOptions,
  ExecProcess,
  HostVolume,
  LogOptions,
  PodRef,
  RuntimeEvent,
  RuntimeEventListener,
  RuntimePod,
  Sandbox,
} from '../../src/runtime/types.ts';
import { errorMessage } from '../../src/api/error-message.ts';

export interface ProcessRuntimeOptions {
  /** Where sandboxes, container state and logs live. */
  dataDir: string;
  /** Which images count as present; default: every image (there is nothing to pull). */
  isImagePresent?: (image: string) => boolean;
  onError?: (err: unknown) => void;
}

interface ContainerRecord {
  sandboxId: string;
  pod: PodRef;
  name: string;
  launch: Launch & { cwd: string };
  /** The resolved volumeMounts, for rewriting exec'd command lines (absent in records of older versions). */
  mounts?: ResolvedMount[];
  /** From the spec: stdin kept open for attachments, closed after the first (stdinOnce), one output stream (tty). */
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
}

type StateRecord =
  | { state: 'created' }
  | { state: 'running'; pid: number; startTicks: number; startedAt: string }
  | { state: 'exited'; exitCode: number; startedAt?: string; finishedAt: string };

interface LiveContainer {
  child: ChildProcess;
  log: ContainerLog;
  exited: Promise<void>;
  /** Commands exec'd into it that still run: they die with it, as in a container's pid namespace. */
  execs: Set<ChildProcess>;
  /** Attachments: each gets the output written from its start on. */
  attachments: Set<Attachment>;
}

/** One `attach`: where the container's output goes (stderr into stdout with a tty). */
interface Attachment {
  stdout: PassThrough;
  stderr?: PassThrough;
}

/**
 * Output an attachment's reader has not taken yet, past which the attachment is dropped: a host
 * process cannot be paused for one slow reader (its log must go on).
 */
export const ATTACH_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

const ID_PATTERN = /^[0-9a-f]{16}$/;

export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process' as const;
  private readonly listeners: EventListeners;
  private readonly live = new Map<string, LiveContainer>();
  /** The previous CPU sample per container, for a rate between stats calls. */
  private readonly cpuSamples = new Map<string, { cpuNanos: number; at: number }>();

  private constructor(private readonly options: ProcessRuntimeOptions) {
    this.listeners = new EventListeners(options.onError);
  }

  /** Open (creating) the data dir and kill what a previous, dead owner left running. */
  static async open(options: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    const runtime = new ProcessRuntime(options);
    mkdirSync(runtime.sandboxesDir, { recursive: true });
    mkdirSync(runtime.containersDir, { recursive: true });
    await runtime.reapLeftovers();
    return runtime;
  }

  private get sandboxesDir(): string {
    return join(this.options.dataDir, 'sandboxes');
  }

  private get containersDir(): string {
    return join(this.options.dataDir, 'containers');
  }

  async ensureImage(image: string): Promise<'present' | 'absent'> {
    return this.hasImage(image) ? 'present' : 'absent';
  }

  async createSandbox(pod: PodRef): Promise<Sandbox> {
    const sandboxId = randomBytes(8).toString('hex');
    const dir = join(this.sandboxesDir, sandboxId);
    mkdirSync(dir);
    writeFileSync(join(dir, 'pod.json'), JSON.stringify(pod));
    return { sandboxId, ip: '127.0.0.1' };
  }

  async createContainer(sandboxId: string, spec: ContainerSpec, volumes: HostVolume[]): Promise<string> {
    const pod = this.readPod(sandboxId);
    if (pod === undefined) throw new SandboxNotFoundError(sandboxId);
    if (!this.hasImage(spec.image)) throw new ImageNotPresentError(spec.image);
    const mounts = resolveMounts(spec, volumes);
    const launch = launchFor(spec, mounts, pod.hostname ?? pod.name);
    const id = randomBytes(8).toString('hex');
    const dir = join(this.containersDir, id);
    mkdirSync(dir);
    const record: ContainerRecord = { sandboxId, pod, name: spec.name, launch: { ...launch, cwd: launch.cwd ?? join(this.sandboxesDir, sandboxId) }, mounts };
    if (spec.stdin) record.stdin = true;
    if (spec.stdinOnce) record.stdinOnce = true;
    if (spec.tty) record.tty = true;
    writeFileSync(join(dir, 'container.json'), JSON.stringify(record));
    this.writeState(id, { state: 'created' });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const record = this.readRecord(id);
    if (this.readState(id).state !== 'created') return;
    const log = new ContainerLog(join(this.containersDir, id, 'log'));
    let child: ChildProcess;
    try {
      // With `stdin` the main process keeps a pipe for attachments to write to; otherwise it reads EOF.
      child = await spawnGroup(record.launch, record.stdin ? 'pipe' : 'ignore');
    } catch (err) {
      log.close();
      throw new ContainerStartError(id, errorMessage(err));
    }
    const pid = child.pid ?? 0;
    const attachments = new Set<Attachment>();
    const output = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      log.write(stream, chunk);
      for (const a of attachments) {
        const target = stream === 'stderr' ? (a.stderr ?? a.stdout) : a.stdout;
        if (target.writableLength > ATTACH_MAX_BUFFERED_BYTES) target.destroy(new Error(`attach to container ${id}: the reader fell too far behind`));
        else target.write(chunk);
      }
    };
    child.stdout?.on('data', output('stdout'));
    child.stderr?.on('data', output('stderr'));
    child.stdin?.on('error', () => {});
    const startTicks = readProcStatSync(pid)?.startTicks ?? 0;
    const startedAt = new Date();
    this.writeState(id, { state: 'running', pid, startTicks, startedAt: startedAt.toISOString() });
    const execs = new Set<ChildProcess>();
    // As in a container, the rest of the group, and every exec, dies with the main process (and the pipes close).
    child.once('exit', () => {
      signalGroup(pid, 'SIGKILL');
      for (const exec of execs) if (exec.pid !== undefined) signalGroup(exec.pid, 'SIGKILL');
    });
    const exited = new Promise<void>((resolve) => {
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        log.close();
        for (const a of attachments) {
          a.stdout.end();
          a.stderr?.end();
        }
        attachments.clear();
        const exitCode = exitCodeOf(code, signal);
        this.writeState(id, { state: 'exited', exitCode, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString() });
        this.live.delete(id);
        this.cpuSamples.delete(id);
        this.emit(id, record, 'exited', exitCode);
        resolve();
      });
    });
    this.live.set(id, { child, log, exited, execs, attachments });
    this.emit(id, record, 'started');
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    this.readRecord(id);
    const live = this.live.get(id);
    const pid = live?.child.pid;
    if (live === undefined || pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), graceSeconds * 1000);
    });
    const outcome = await Promise.race([live.exited, graceOver]);
    clearTimeout(timer);
    if (outcome === 'grace-over') signalGroup(pid, 'SIGKILL');
    await live.exited;
  }

  async removeContainer(id: string): Promise<void> {
    if (!ID_PATTERN.test(id)) return;
    await this.kill(id);
    rmSync(join(this.containersDir, id), { recursive: true, force: true });
  }

  /** A process sandbox is a directory, not a process: only its existence is checked. */
  async stopSandbox(sandboxId: string): Promise<void> {
    if (this.readPod(sandboxId) === undefined) throw new SandboxNotFoundError(sandboxId);
  }

  async removeSandbox(sandboxId: string): Promise<void> {
    if (!ID_PATTERN.test(sandboxId)) return;
    for (const id of this.containerIds()) {
      if (this.tryReadRecord(id)?.sandboxId === sandboxId) await this.removeContainer(id);
    }
    rmSync(join(this.sandboxesDir, sandboxId), { recursive: true, force: true });
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    this.readRecord(id);
    const state = this.readState(id);
    switch (state.state) {
      case 'created':
        return { state: 'created', oomKilled: false };
      case 'running':
        return { state: 'running', oomKilled: false, startedAt: new Date(state.startedAt) };
      case 'exited': {
        const status: ContainerStatus = { state: 'exited', oomKilled: false, exitCode: state.exitCode, reason: exitReason(state.exitCode, false), finishedAt: new Date(state.finishedAt) };
        if (state.startedAt !== undefined) status.startedAt = new Date(state.startedAt);
        return status;
      }
    }
  }

  onEvent(listener: RuntimeEventListener): () => void {
    return this.listeners.add(listener);
  }

  async logs(id: string, opts: LogOptions): Promise<Readable> {
    this.readRecord(id);
    const live = this.live.get(id);
    if (opts.follow && live !== undefined) return live.log.follow(opts);
    return readLogFile(join(this.containersDir, id, 'log'), opts);
  }

  /** process-exec.ts has the rules (no pty: with tty, stderr is merged into stdout). */
  async exec(id: string, opts: ExecOptions): Promise<ExecProcess> {
    if (opts.command.length === 0) throw new Error('exec needs a command');
    const record = this.readRecord(id);
    // Running: its main process has not exited (`live` only goes at its `close`, a moment later).
    const running = (live: LiveContainer | undefined): live is LiveContainer => live !== undefined && live.child.exitCode === null && live.child.signalCode === null;
    if (!running(this.live.get(id))) throw new ContainerNotRunningError(id);
    const { env, cwd } = record.launch;
    const { exec, child } = await startExec({ argv: hostArgv(opts.command, record.mounts ?? []), env, cwd }, opts);
    if (child?.pid !== undefined) {
      const pid = child.pid;
      const live = this.live.get(id);
      // The container exited while the command was being spawned: it dies with it.
      if (!running(live)) signalGroup(pid, 'SIGKILL');
      else {
        live.execs.add(child);
        // At `close`, not `exit`: what it left running in the background still holds its output.
        child.once('close', () => live.execs.delete(child));
      }
    }
    return exec;
  }

  /**
   * The container's output from now on (as its log gets it: the pipes are the runtime's), and
   * its stdin when the container keeps one (`stdin`). No pty: with `tty` stderr joins stdout;
   * resize is a no-op. Ending the attachment's stdin closes the process's only with `stdinOnce`.
   */
  async attach(id: string, opts: AttachOptions): Promise<AttachedProcess> {
    const record = this.readRecord(id);
    const live = this.live.get(id);
    if (live === undefined || live.child.exitCode !== null || live.child.signalCode !== null) throw new ContainerNotRunningError(id);
    const attachment: Attachment = { stdout: new PassThrough() };
    if (!record.tty) attachment.stderr = new PassThrough();
    live.attachments.add(attachment);
    const detach = (): void => {
      live.attachments.delete(attachment);
      attachment.stdout.end();
      attachment.stderr?.end();
    };
    const input = live.child.stdin;
    const stdin = opts.stdin && input ? execStdin(input, () => (record.stdinOnce ? input.end() : undefined)) : undefined;
    const proc: AttachedProcess = {
      stdout: attachment.stdout,
      resize: async () => {},
      close() {
        detach();
        stdin?.destroy();
      },
    };
    if (attachment.stderr) proc.stderr = attachment.stderr;
    if (stdin) proc.stdin = stdin;
    return proc;
  }

  async listPods(): Promise<RuntimePod[]> {
    const pods = new Map<string, RuntimePod>();
    for (const sandboxId of readdirSync(this.sandboxesDir)) {
      const pod = this.readPod(sandboxId);
      if (pod !== undefined) pods.set(sandboxId, { podUid: pod.uid, namespace: pod.namespace, name: pod.name, sandboxId, sandboxIP: '127.0.0.1', containers: [] });
    }
    for (const id of this.containerIds()) {
      const record = this.tryReadRecord(id);
      if (record === undefined) continue;
      let pod = pods.get(record.sandboxId);
      if (pod === undefined) {
        // An orphan whose sandbox is gone: listed so the daemon can remove it.
        pod = { podUid: record.pod.uid, namespace: record.pod.namespace, name: record.pod.name, sandboxId: undefined, containers: [] };
        pods.set(`orphan:${record.sandboxId}`, pod);
      }
      pod.containers.push({ name: record.name, id, state: this.readState(id).state });
    }
    return [...pods.values()];
  }

  async stats(id: string): Promise<ContainerStats> {
    this.readRecord(id);
    const state = this.readState(id);
    if (state.state !== 'running') return { cpuNanoCores: 0, memoryBytes: 0 };
    const sample = await readProcStat(state.pid);
    if (sample === undefined) return { cpuNanoCores: 0, memoryBytes: 0 };
    const now = Date.now();
    // First call: the average since start; later calls: the rate since the previous call.
    const previous = this.cpuSamples.get(id) ?? { cpuNanos: 0, at: Date.parse(state.startedAt) };
    this.cpuSamples.set(id, { cpuNanos: sample.cpuNanos, at: now });
    const elapsedNs = (now - previous.at) * 1e6;
    const cpuNanoCores = elapsedNs > 0 ? Math.max(0, Math.round(((sample.cpuNanos - previous.cpuNanos) / elapsedNs) * 1e9)) : 0;
    return { cpuNanoCores, memoryBytes: await readRssBytes(state.pid) };
  }

  /** Kills every container this instance runs (they do not outlive it) and records their exits. */
  async close(): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.kill(id)));
  }

  private async kill(id: string): Promise<void> {
    const live = this.live.get(id);
    if (live === undefined) return;
    if (live.child.pid !== undefined) signalGroup(live.child.pid, 'SIGKILL');
    await live.exited;
  }

  /** Containers recorded running by a previous owner: kill them if they still run, record them exited. */
  private async reapLeftovers(): Promise<void> {
    for (const { id, state } of await killRecordedContainers(this.options.dataDir)) {
      if (this.tryReadRecord(id) === undefined) continue;
      this.writeState(id, { state: 'exited', exitCode: 128 + osConstants.signals.SIGKILL, startedAt: state.startedAt, finishedAt: new Date().toISOString() });
    }
  }

  private hasImage(image: string): boolean {
    return this.options.isImagePresent?.(image) ?? true;
  }

  private containerIds(): string[] {
    return readdirSync(this.containersDir).filter((id) => ID_PATTERN.test(id));
  }

  private readPod(sandboxId: string): PodRef | undefined {
    if (!ID_PATTERN.test(sandboxId)) return undefined;
    const path = join(this.sandboxesDir, sandboxId, 'pod.json');
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as PodRef) : undefined;
  }

  private tryReadRecord(id: string): ContainerRecord | undefined {
    if (!ID_PATTERN.test(id)) return undefined;
    try {
      return JSON.parse(readFileSync(join(this.containersDir, id, 'container.json'), 'utf8')) as ContainerRecord;
    } catch {
      return undefined;
    }
  }

  private readRecord(id: string): ContainerRecord {
    const record = this.tryReadRecord(id);
    if (record === undefined) throw new ContainerNotFoundError(id);
    return record;
  }

  private readState(id: string): StateRecord {
    return JSON.parse(readFileSync(join(this.containersDir, id, 'state.json'), 'utf8')) as StateRecord;
  }

  /** Synchronous, so a quick exit's record cannot be overtaken by the earlier "running" one. */
  private writeState(id: string, state: StateRecord): void {
    const dir = join(this.containersDir, id);
    if (existsSync(dir)) writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  }

  private emit(id: string, record: ContainerRecord, type: RuntimeEvent['type'], exitCode?: number): void {
    const event: RuntimeEvent = { type, role: 'container', containerId: id, podUid: record.pod.uid, containerName: record.name, time: new Date() };
    if (exitCode !== undefined) event.exitCode = exitCode;
    this.listeners.emit(event);
  }
}

/** A container a process runtime recorded running, and whether its process was still there to kill. */
export interface RecordedRun {
  id: string;
  state: { pid: number; startTicks: number; startedAt: string };
  killed: boolean;
}

/**
 * SIGKILLs the process group of every container recorded running in the runtime dir `dir` (as
 * `ProcessRuntime.open` gets it) whose process is still the one recorded (pid and start time: a
 * reused pid is never hit). Writes nothing: the runtime that owns the dir records the exits (a
 * live owner when its children die; a new one as it opens). Used on open for a dead owner's
 * leftovers, and by the fence watchdog (fence/) when the owner is dead or frozen.
 */
export async function killRecordedContainers(dir: string): Promise<RecordedRun[]> {
  const containersDir = join(dir, 'containers');
  const ids = existsSync(containersDir) ? readdirSync(containersDir).filter((id) => ID_PATTERN.test(id)) : [];
  const found: RecordedRun[] = [];
  for (const id of ids) {
    let state: StateRecord;
    try {
      state = JSON.parse(readFileSync(join(containersDir, id, 'state.json'), 'utf8')) as StateRecord;
    } catch {
      continue; // removed meanwhile, or not written yet
    }
    if (state.state !== 'running') continue;
    const current = await readProcStat(state.pid);
    const killed = current !== undefined && current.startTicks === state.startTicks;
    if (killed) signalGroup(state.pid, 'SIGKILL');
    found.push({ id, state, killed });
  }
  return found;
}

/** Signal a whole process group; a group that is already gone is not an error. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if (!(typeof err === 'object' && err !== null && 'code' in err && err.code === 'ESRCH')) throw err;
  }
}
