/**
 * The Docker runtime (dockerode). A pod is a sandbox container (busybox running a sleep loop)
 * that holds the network and IPC namespaces and the hostname; each of the pod's containers joins
 * them (`NetworkMode: container:<sandbox>`), so they share one IP and localhost. Volumes are host
 * directories the daemon owns, bind-mounted at each mountPath. Every container is labelled with
 * its node, pod and role, which is all listPods needs to re-adopt pods after a daemon restart, and
 * what keeps two daemons on one engine apart.
 */
import { PassThrough, Readable } from 'node:stream';
import Docker from 'dockerode';
import { exitReason } from './container-spec.ts';
import { DockerEventStream } from './docker-events.ts';
import { dockerAttach } from './docker-attach.ts';
import { dockerExec } from './docker-exec.ts';
import { LABELS, containerCreateOptions, podFromLabels, sandboxCreateOptions } from './docker-spec.ts';
import { dockerStatusCode, dockerTime, toContainerState } from './docker-status.ts';
import { ContainerNotFoundError, ContainerNotRunningError, ContainerStartError, ImageNotPresentError, SandboxNotFoundError } from '../../src/runtime/errors.ts';
import { EventListeners } from './listeners.ts';
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
  RuntimeEventListener,
  RuntimePod,
  Sandbox,
  SandboxOptions,
} from '../../src/runtime/types.ts';
import { errorMessage } from '../../src/api/error-message.ts';

export interface DockerRuntimeOptions {
  /** This node's name: every container is labelled with it and only its own are seen. */
  node: string;
  /** Engine client; default: /var/run/docker.sock. */
  docker?: Docker;
  /** Image of the sandbox container; default `busybox:latest`. */
  sandboxImage?: string;
  /** Network for sandboxes when createSandbox names none; default `bridge`. */
  defaultNetwork?: string;
  /** Labels added to every container (tests mark theirs for cleanup). */
  extraLabels?: Record<string, string>;
  /** Errors with no caller to throw to (event stream, listeners). Default: ignored. */
  onError?: (err: unknown) => void;
}

export class DockerRuntime implements ContainerRuntime {
  readonly name = 'docker' as const;
  private readonly listeners: EventListeners;
  private events: DockerEventStream | undefined;
  private readonly node: string;
  private readonly sandboxImage: string;
  private readonly defaultNetwork: string;
  private readonly extraLabels: Record<string, string>;

  private constructor(
    private readonly docker: Docker,
    options: DockerRuntimeOptions,
  ) {
    this.node = options.node;
    this.sandboxImage = options.sandboxImage ?? 'busybox:latest';
    this.defaultNetwork = options.defaultNetwork ?? 'bridge';
    this.extraLabels = options.extraLabels ?? {};
    this.listeners = new EventListeners(options.onError);
  }

  /** Connect to the engine (fails if it does not answer) and open the event stream. */
  static async connect(options: DockerRuntimeOptions): Promise<DockerRuntime> {
    const docker = options.docker ?? new Docker({ socketPath: '/var/run/docker.sock' });
    await docker.ping();
    const runtime = new DockerRuntime(docker, options);
    runtime.events = await DockerEventStream.open(docker, runtime.node, (e) => runtime.listeners.emit(e), options.onError ?? (() => {}));
    return runtime;
  }

  async ensureImage(image: string): Promise<'present' | 'absent'> {
    try {
      await this.docker.getImage(image).inspect();
      return 'present';
    } catch (err) {
      if (dockerStatusCode(err) === 404) return 'absent';
      throw err;
    }
  }

  async createSandbox(pod: PodRef, opts: SandboxOptions = {}): Promise<Sandbox> {
    const network = opts.network ?? this.defaultNetwork;
    const created = await this.create(
      sandboxCreateOptions({ node: this.node, pod, image: this.sandboxImage, network, extraLabels: this.extraLabels }),
      this.sandboxImage,
    );
    try {
      await created.start();
      const info = await created.inspect();
      const ip = info.NetworkSettings.Networks[network]?.IPAddress;
      return ip ? { sandboxId: created.id, ip } : { sandboxId: created.id };
    } catch (err) {
      await this.removeContainer(created.id);
      throw err;
    }
  }

  async createContainer(sandboxId: string, spec: ContainerSpec, volumes: HostVolume[]): Promise<string> {
    const pod = await this.sandboxPod(sandboxId);
    const options = containerCreateOptions({ node: this.node, pod, sandboxId, spec, volumes, extraLabels: this.extraLabels });
    return (await this.create(options, spec.image)).id;
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      const status = dockerStatusCode(err);
      if (status === 304) return; // already running
      if (status === 404) throw new ContainerNotFoundError(id);
      // 400/500: the engine created it but the command cannot run (missing binary, bad cwd).
      if (status === 400 || status === 500) throw new ContainerStartError(id, errorMessage(err));
      throw err;
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      // The engine sends the stop signal (SIGTERM), SIGKILL after t seconds, and answers once it exited.
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(graceSeconds)) });
    } catch (err) {
      const status = dockerStatusCode(err);
      if (status === 304) return; // not running
      if (status === 404) throw new ContainerNotFoundError(id);
      throw err;
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = dockerStatusCode(err);
      // 404: already gone; 409: a removal is already in progress.
      if (status !== 404 && status !== 409) throw err;
    }
  }

  /** The sandbox container stops at once on SIGTERM (SANDBOX_COMMAND); the exited containers stay. */
  async stopSandbox(sandboxId: string): Promise<void> {
    await this.sandboxPod(sandboxId);
    try {
      await this.docker.getContainer(sandboxId).stop({ t: 1 });
    } catch (err) {
      const status = dockerStatusCode(err);
      if (status === 304) return; // already stopped
      if (status === 404) throw new SandboxNotFoundError(sandboxId);
      throw err;
    }
  }

  async removeSandbox(sandboxId: string): Promise<void> {
    let pod: PodRef;
    try {
      pod = await this.sandboxPod(sandboxId);
    } catch (err) {
      if (err instanceof SandboxNotFoundError) return;
      throw err;
    }
    const members = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.node}=${this.node}`, `${LABELS.podUid}=${pod.uid}`, `${LABELS.role}=container`] },
    });
    await Promise.all(members.map((c) => this.removeContainer(c.Id)));
    await this.removeContainer(sandboxId);
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    const info = await this.inspectOwn(id);
    const state = toContainerState(info.State.Status);
    const status: ContainerStatus = { state, oomKilled: info.State.OOMKilled };
    const startedAt = dockerTime(info.State.StartedAt);
    if (startedAt) status.startedAt = startedAt;
    if (state === 'exited') {
      status.exitCode = info.State.ExitCode;
      status.reason = exitReason(info.State.ExitCode, info.State.OOMKilled);
      const finishedAt = dockerTime(info.State.FinishedAt);
      // The engine stamps StartedAt after the process is running, so a quick exit can carry an
      // earlier FinishedAt: never report a container finishing before it started.
      if (finishedAt) status.finishedAt = startedAt && finishedAt < startedAt ? startedAt : finishedAt;
    }
    return status;
  }

  onEvent(listener: RuntimeEventListener): () => void {
    return this.listeners.add(listener);
  }

  async logs(id: string, opts: LogOptions): Promise<Readable> {
    const container = this.docker.getContainer(id);
    const query = {
      stdout: true,
      stderr: true,
      timestamps: opts.timestamps === true,
      ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}),
      ...(opts.sinceSeconds !== undefined ? { since: Math.floor(Date.now() / 1000) - opts.sinceSeconds } : {}),
    };
    try {
      const source = opts.follow ? await container.logs({ ...query, follow: true }) : Readable.from([await container.logs({ ...query, follow: false })]);
      return this.demux(source);
    } catch (err) {
      if (dockerStatusCode(err) === 404) throw new ContainerNotFoundError(id);
      throw err;
    }
  }

  /** docker-exec.ts has how output, stdin EOF, exit code and resize work. */
  async exec(id: string, opts: ExecOptions): Promise<ExecProcess> {
    if (opts.command.length === 0) throw new Error('exec needs a command');
    const info = await this.inspectOwn(id);
    if (!info.State.Running) throw new ContainerNotRunningError(id);
    return dockerExec(this.docker, id, opts);
  }

  /** docker-attach.ts has how the terminal, stdin and its end work. */
  async attach(id: string, opts: AttachOptions): Promise<AttachedProcess> {
    return dockerAttach(this.docker, id, await this.inspectOwn(id), opts);
  }

  async listPods(): Promise<RuntimePod[]> {
    const all = await this.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${this.node}`] } });
    const pods = new Map<string, RuntimePod>();
    const podOf = (labels: Record<string, string>): RuntimePod => {
      const ref = podFromLabels(labels);
      let pod = pods.get(ref.uid);
      if (pod === undefined) {
        pod = { podUid: ref.uid, namespace: ref.namespace, name: ref.name, sandboxId: undefined, containers: [] };
        pods.set(ref.uid, pod);
      }
      return pod;
    };
    for (const c of all) {
      const pod = podOf(c.Labels);
      if (c.Labels[LABELS.role] === 'sandbox') {
        pod.sandboxId = c.Id;
        const ip = Object.values(c.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
        if (ip) pod.sandboxIP = ip;
      } else pod.containers.push({ name: c.Labels[LABELS.containerName] ?? '', id: c.Id, state: toContainerState(c.State) });
    }
    return [...pods.values()];
  }

  async stats(id: string): Promise<ContainerStats> {
    await this.inspectOwn(id);
    // Not one-shot: the engine samples twice (about 1 s apart), which gives a CPU rate.
    const s = await this.docker.getContainer(id).stats({ stream: false });
    const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
    const wallDeltaNs = (new Date(s.read).getTime() - new Date(s.preread).getTime()) * 1e6;
    const cpuNanoCores = wallDeltaNs > 0 && cpuDelta > 0 ? Math.round((cpuDelta / wallDeltaNs) * 1e9) : 0;
    // Working set, as the kubelet reports it: usage minus inactive page cache.
    const inactive = s.memory_stats.stats?.total_inactive_file ?? 0;
    const memoryBytes = Math.max(0, (s.memory_stats.usage ?? 0) - inactive);
    return { cpuNanoCores, memoryBytes };
  }

  async close(): Promise<void> {
    this.events?.close();
    this.events = undefined;
  }

  /** Create a container; a 404 from create means the image is missing. */
  private async create(options: Docker.ContainerCreateOptions, image: string): Promise<Docker.Container> {
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      if (dockerStatusCode(err) === 404) throw new ImageNotPresentError(image);
      throw err;
    }
  }

  /** Inspect a container of this node; another node's container counts as not found. */
  private async inspectOwn(id: string): Promise<Docker.ContainerInspectInfo> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      if (info.Config.Labels?.[LABELS.node] !== this.node) throw new ContainerNotFoundError(id);
      return info;
    } catch (err) {
      if (dockerStatusCode(err) === 404) throw new ContainerNotFoundError(id);
      throw err;
    }
  }

  private async sandboxPod(sandboxId: string): Promise<PodRef> {
    let labels: Record<string, string>;
    try {
      labels = (await this.inspectOwn(sandboxId)).Config.Labels ?? {};
    } catch (err) {
      if (err instanceof ContainerNotFoundError) throw new SandboxNotFoundError(sandboxId);
      throw err;
    }
    if (labels[LABELS.role] !== 'sandbox') throw new SandboxNotFoundError(sandboxId);
    return podFromLabels(labels);
  }

  /** Docker multiplexes stdout and stderr with frame headers; merge both into one text stream. */
  private demux(source: NodeJS.ReadableStream): Readable {
    const out = new PassThrough();
    this.docker.modem.demuxStream(source, out, out);
    source.on('end', () => out.end());
    source.on('error', (err: Error) => out.destroy(err));
    // A reader that stops following must release the engine connection.
    out.on('close', () => {
      if ('destroy' in source && typeof source.destroy === 'function') source.destroy();
    });
    return out;
  }
}
