/**
 * The hollow runtime (as kubemark's hollow nodes): nothing runs. Containers "start" at once and
 * then either run until stopped or exit with a chosen code; there is no output. Built for scale
 * tests with thousands of pods: one small record per container, no timers, no processes; events
 * are delivered on a microtask.
 *
 * What a container does is decided by `behaviour(spec)`; the default honours a trailing
 * `exit N` (as in `sh -c "exit 3"`) so lifecycle tests read naturally, and otherwise runs forever.
 */
import { PassThrough, Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { exitReason, resolveMounts } from './container-spec.ts';
import { AttachNotSupportedError, ContainerNotFoundError, ExecNotSupportedError, ImageNotPresentError, SandboxNotFoundError } from '../../src/runtime/errors.ts';
import { EventListeners } from './listeners.ts';
import type {
  AttachedProcess,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStats,
  ContainerStatus,
  ExecProcess,
  HostVolume,
  PodRef,
  RuntimeEvent,
  RuntimeEventListener,
  RuntimePod,
  Sandbox,
} from '../../src/runtime/types.ts';

/** What a hollow container does once started. */
export type HollowBehaviour = { kind: 'run' } | { kind: 'exit'; exitCode: number; oomKilled?: boolean };

interface HollowContainer {
  id: string;
  sandboxId: string;
  spec: ContainerSpec;
  state: ContainerState;
  exitCode?: number;
  oomKilled: boolean;
  startedAt?: Date;
  finishedAt?: Date;
}

interface HollowSandbox {
  pod: PodRef;
  containerIds: Set<string>;
}

/**
 * The pretend engine: where a node's hollow pods live. It outlives runtime instances, so a new
 * HollowRuntime on the same engine re-adopts them (as a restarted daemon re-adopts Docker's).
 */
export class HollowEngine {
  readonly sandboxes = new Map<string, HollowSandbox>();
  readonly containers = new Map<string, HollowContainer>();
  private readonly prefix = randomBytes(4).toString('hex');
  private counter = 0;

  nextId(kind: 'sandbox' | 'container'): string {
    return `hollow-${kind}-${this.prefix}-${++this.counter}`;
  }
}

/** `exit N` as the last word of command/args: exit with N; anything else runs until stopped. */
export function defaultHollowBehaviour(spec: ContainerSpec): HollowBehaviour {
  const words = [...(spec.command ?? []), ...(spec.args ?? [])];
  const match = /^\s*exit\s+(\d+)\s*$/.exec(words.at(-1) ?? '');
  return match ? { kind: 'exit', exitCode: Number(match[1]) } : { kind: 'run' };
}

export interface HollowRuntimeOptions {
  /** Shared state; pass the same engine to a new instance to re-adopt its pods. Default: a new one. */
  engine?: HollowEngine;
  /** Which images the node "holds"; default: every image. */
  isImagePresent?: (image: string) => boolean;
  behaviour?: (spec: ContainerSpec) => HollowBehaviour;
  /** Reported usage; default zero. */
  stats?: (spec: ContainerSpec) => ContainerStats;
  onError?: (err: unknown) => void;
}

export class HollowRuntime implements ContainerRuntime {
  readonly name = 'hollow' as const;
  readonly engine: HollowEngine;
  private readonly listeners: EventListeners;
  /** Open `follow` log streams, by container: only containers someone follows have an entry. */
  private readonly followers = new Map<string, Set<PassThrough>>();

  constructor(private readonly options: HollowRuntimeOptions = {}) {
    this.engine = options.engine ?? new HollowEngine();
    this.listeners = new EventListeners(options.onError);
  }

  async ensureImage(image: string): Promise<'present' | 'absent'> {
    return this.hasImage(image) ? 'present' : 'absent';
  }

  async createSandbox(pod: PodRef): Promise<Sandbox> {
    const sandboxId = this.engine.nextId('sandbox');
    this.engine.sandboxes.set(sandboxId, { pod: { uid: pod.uid, namespace: pod.namespace, name: pod.name }, containerIds: new Set() });
    return { sandboxId };
  }

  async createContainer(sandboxId: string, spec: ContainerSpec, volumes: HostVolume[]): Promise<string> {
    const sandbox = this.engine.sandboxes.get(sandboxId);
    if (sandbox === undefined) throw new SandboxNotFoundError(sandboxId);
    if (!this.hasImage(spec.image)) throw new ImageNotPresentError(spec.image);
    resolveMounts(spec, volumes); // the same spec errors as a real runtime
    const id = this.engine.nextId('container');
    this.engine.containers.set(id, { id, sandboxId, spec, state: 'created', oomKilled: false });
    sandbox.containerIds.add(id);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const container = this.container(id);
    if (container.state !== 'created') return;
    container.state = 'running';
    container.startedAt = new Date();
    this.emit(container, 'started');
    const behaviour = (this.options.behaviour ?? defaultHollowBehaviour)(container.spec);
    if (behaviour.kind === 'exit') {
      if (behaviour.oomKilled) this.emit(container, 'oom');
      this.exit(container, behaviour.exitCode, behaviour.oomKilled === true);
    }
  }

  /** A hollow process honours SIGTERM at once and exits 0. */
  async stopContainer(id: string): Promise<void> {
    const container = this.container(id);
    if (container.state === 'running') this.exit(container, 0, false);
  }

  async removeContainer(id: string): Promise<void> {
    const container = this.engine.containers.get(id);
    if (container === undefined) return;
    this.engine.containers.delete(id);
    this.engine.sandboxes.get(container.sandboxId)?.containerIds.delete(id);
    this.endFollowers(id);
  }

  /** A hollow sandbox runs nothing: only its existence is checked. */
  async stopSandbox(sandboxId: string): Promise<void> {
    if (!this.engine.sandboxes.has(sandboxId)) throw new SandboxNotFoundError(sandboxId);
  }

  async removeSandbox(sandboxId: string): Promise<void> {
    const sandbox = this.engine.sandboxes.get(sandboxId);
    if (sandbox === undefined) return;
    for (const id of sandbox.containerIds) await this.removeContainer(id);
    this.engine.sandboxes.delete(sandboxId);
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    const c = this.container(id);
    const status: ContainerStatus = { state: c.state, oomKilled: c.oomKilled };
    if (c.startedAt) status.startedAt = c.startedAt;
    if (c.state === 'exited' && c.exitCode !== undefined) {
      status.exitCode = c.exitCode;
      status.reason = exitReason(c.exitCode, c.oomKilled);
      if (c.finishedAt) status.finishedAt = c.finishedAt;
    }
    return status;
  }

  onEvent(listener: RuntimeEventListener): () => void {
    return this.listeners.add(listener);
  }

  /** Hollow containers print nothing: the stream ends at once, or (follow) when the container exits. */
  async logs(id: string, opts: { follow: boolean }): Promise<Readable> {
    const container = this.container(id);
    if (!opts.follow || container.state === 'exited') return Readable.from([]);
    const stream = new PassThrough();
    let set = this.followers.get(id);
    if (set === undefined) this.followers.set(id, (set = new Set()));
    set.add(stream);
    stream.on('close', () => {
      set.delete(stream);
      if (set.size === 0) this.followers.delete(id);
    });
    return stream;
  }

  /** Nothing runs, so there is nothing to run a command in. */
  async exec(id: string): Promise<ExecProcess> {
    this.container(id);
    throw new ExecNotSupportedError('hollow');
  }

  /** Nothing runs, so there is no process to attach to. */
  async attach(id: string): Promise<AttachedProcess> {
    this.container(id);
    throw new AttachNotSupportedError('hollow');
  }

  async listPods(): Promise<RuntimePod[]> {
    return [...this.engine.sandboxes].map(([sandboxId, { pod, containerIds }]) => ({
      podUid: pod.uid,
      namespace: pod.namespace,
      name: pod.name,
      sandboxId,
      containers: [...containerIds].map((id) => {
        const c = this.container(id);
        return { name: c.spec.name, id, state: c.state };
      }),
    }));
  }

  async stats(id: string): Promise<ContainerStats> {
    const container = this.container(id);
    return this.options.stats?.(container.spec) ?? { cpuNanoCores: 0, memoryBytes: 0 };
  }

  /** Hollow containers live in the engine, not the instance: they survive close. */
  async close(): Promise<void> {
    for (const id of [...this.followers.keys()]) this.endFollowers(id);
  }

  private hasImage(image: string): boolean {
    return this.options.isImagePresent?.(image) ?? true;
  }

  private container(id: string): HollowContainer {
    const container = this.engine.containers.get(id);
    if (container === undefined) throw new ContainerNotFoundError(id);
    return container;
  }

  private exit(container: HollowContainer, exitCode: number, oomKilled: boolean): void {
    container.state = 'exited';
    container.exitCode = exitCode;
    container.oomKilled = oomKilled;
    container.finishedAt = new Date();
    this.emit(container, 'exited', exitCode);
    this.endFollowers(container.id);
  }

  private endFollowers(id: string): void {
    for (const stream of this.followers.get(id) ?? []) stream.end();
  }

  private emit(container: HollowContainer, type: RuntimeEvent['type'], exitCode?: number): void {
    const sandbox = this.engine.sandboxes.get(container.sandboxId);
    const event: RuntimeEvent = { type, role: 'container', containerId: container.id, podUid: sandbox?.pod.uid ?? '', containerName: container.spec.name, time: new Date() };
    if (exitCode !== undefined) event.exitCode = exitCode;
    // Delivered after the call that caused it returns, as a real engine's events are.
    queueMicrotask(() => this.listeners.emit(event));
  }
}
