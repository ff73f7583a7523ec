/**
 * The ContainerRuntime contract: the narrow, pod-level API the node daemon drives (as the
 * kubelet drives CRI): a pod is a sandbox (network namespace, hostname) plus containers joined
 * to it. Three implementations: `docker` (real containers), `process` (host processes, no
 * isolation), `hollow` (pretends, for scale tests). All pass one conformance suite
 * (conformance.ts).
 */
import type { Readable } from 'node:stream';

/** Which implementation a runtime is. */
export type RuntimeName = 'docker' | 'process' | 'hollow';

/** The pod a sandbox belongs to. */
export interface PodRef {
  uid: string;
  namespace: string;
  name: string;
  /** Defaults to `name`. */
  hostname?: string;
}

export interface SandboxOptions {
  /**
   * Docker network the sandbox joins (`bridge` by default, `none` for no network, or the node's
   * own bridge network). Ignored by runtimes without network namespaces.
   */
  network?: string;
}

export interface Sandbox {
  sandboxId: string;
  /** The pod's IP, when the sandbox has one (Docker on a bridge network). */
  ip?: string;
}

export interface VolumeMount {
  /** Name of a volume passed to createContainer. */
  name: string;
  /** Absolute path inside the container. */
  mountPath: string;
  readOnly?: boolean;
}

/** A volume the daemon prepared on the host (an emptyDir is a directory it owns). */
export interface HostVolume {
  name: string;
  hostPath: string;
}

/** Resources as Kubernetes states them; a runtime applies what it can. */
export interface ContainerResources {
  /** limits.memory: a hard limit; exceeding it gets the container OOM-killed. */
  memoryLimitBytes?: number;
  /** requests.cpu in millicores: relative weight (Docker CpuShares). */
  cpuRequestMillis?: number;
  /** limits.cpu in millicores: hard ceiling (Docker CpuQuota over CpuPeriod). */
  cpuLimitMillis?: number;
}

/** One container of a pod, with Kubernetes semantics for command/args. */
export interface ContainerSpec {
  name: string;
  image: string;
  /** Replaces the image's ENTRYPOINT (and then its CMD is not used). */
  command?: string[];
  /** Replaces the image's CMD. */
  args?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  resources?: ContainerResources;
  volumeMounts?: VolumeMount[];
  /** Keep the main process's stdin open for attachments (`spec.containers[].stdin`); otherwise it reads EOF. */
  stdin?: boolean;
  /** Close the main process's stdin when the first attachment that wrote to it ends (`stdinOnce`). */
  stdinOnce?: boolean;
  /** Run the main process on a terminal (`tty`): one output stream, as exec with a tty. */
  tty?: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited';

/** What inspect reports: the source of a pod's containerStatuses. */
export interface ContainerStatus {
  state: ContainerState;
  /** Set once exited. 137 = killed by SIGKILL (including the OOM killer). */
  exitCode?: number;
  oomKilled: boolean;
  startedAt?: Date;
  finishedAt?: Date;
  /** Kubernetes reason for an exited container: `Completed`, `Error`, `OOMKilled`, or a runtime's own. */
  reason?: string;
}

/** A container or sandbox lifecycle fact, pushed as it happens. */
export interface RuntimeEvent {
  type: 'started' | 'exited' | 'oom';
  /** Whether this concerns a pod's sandbox or one of its containers. */
  role: 'sandbox' | 'container';
  containerId: string;
  podUid: string;
  /** The container's spec name (absent for sandboxes). */
  containerName?: string;
  /** For `exited`. */
  exitCode?: number;
  time: Date;
}

export type RuntimeEventListener = (event: RuntimeEvent) => void;

export interface LogOptions {
  /** Keep the stream open and append new output until the container exits. */
  follow: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  /** Prefix each line with an RFC 3339 timestamp and a space (as `kubectl logs --timestamps`). */
  timestamps?: boolean;
  /** Only lines written in the last N seconds. */
  sinceSeconds?: number;
}

/** A command to run in a running container (`kubectl exec`). */
export interface ExecOptions {
  /** argv; the first element is looked up in the container's PATH. */
  command: string[];
  /**
   * Attach the caller's stdin: `ExecProcess.stdin` is then set, and ending it is EOF for the
   * command (with a tty: the terminal's EOF character, ^D, which a reader takes as end of input
   * at the start of a line). Without it the command's stdin is empty.
   */
  stdin: boolean;
  /**
   * Run on a terminal: stdout carries everything the terminal shows, there is no stderr, and
   * resize applies. A runtime without terminals (process) merges stderr into stdout instead.
   */
  tty: boolean;
}

/**
 * A running exec. A command that cannot be run (not found, not executable) is not an exec error:
 * it exits 127 or 126 with the reason on its output, as in Kubernetes.
 */
export interface ExecProcess {
  /** Present when ExecOptions.stdin was set. Writes after the command stopped reading are dropped, not errors. */
  stdin?: NodeJS.WritableStream;
  /** The command's stdout (with a tty: the terminal's output). Ends when the command's output ends. */
  stdout: Readable;
  /** The command's stderr; absent with a tty. */
  stderr?: Readable;
  /** The terminal's size in columns and rows; a no-op without a tty. */
  resize(cols: number, rows: number): Promise<void>;
  /**
   * The command's exit code (128 + signal when killed, e.g. 137 when its container stops), once
   * it has exited and its output has ended. Rejects if close() cut the output short.
   */
  exitCode: Promise<number>;
  /**
   * Stop reading and release the exec (the caller went away): the output streams end. The
   * command may be left to finish (Docker keeps it running); it dies with its container.
   */
  close(): void;
}

/** Attaching to a running container's main process (`kubectl attach`). */
export interface AttachOptions {
  /**
   * Pass input to the process: `AttachedProcess.stdin` is then set, when the container keeps its
   * stdin open (`ContainerSpec.stdin`); otherwise there is no stdin to attach to.
   */
  stdin: boolean;
  /**
   * The container runs on a terminal (its `ContainerSpec.tty`, which cannot change once it runs):
   * one output stream, resize applies. A runtime knows the truth itself and goes by it.
   */
  tty: boolean;
}

/**
 * An attachment to a container's main process: its output from now on and, optionally, its
 * input. The output ends when the process exits (or at close()). Ending `stdin` detaches the
 * input; the process reads EOF only if its container has `stdinOnce`.
 */
export type AttachedProcess = Omit<ExecProcess, 'exitCode'>;

export interface PodContainer {
  name: string;
  id: string;
  state: ContainerState;
}

/** A pod as the runtime holds it: what a restarted daemon re-adopts or cleans up. */
export interface RuntimePod {
  podUid: string;
  namespace: string;
  name: string;
  /** Undefined when the sandbox is gone but containers remain: remove those one by one. */
  sandboxId: string | undefined;
  /** The sandbox's IP, as `createSandbox` answered it (an adopted pod keeps its address). */
  sandboxIP?: string;
  containers: PodContainer[];
}

export interface ContainerStats {
  /** CPU use in nanocores (1e9 = one full core), averaged since the previous sample. */
  cpuNanoCores: number;
  /** Working set in bytes. */
  memoryBytes: number;
}

/**
 * The runtime contract. Ids are opaque strings. Every method that names a missing container or
 * sandbox throws ContainerNotFoundError / SandboxNotFoundError, except the removals, which are
 * idempotent. A runtime only sees the pods of its own node (two daemons may share one engine).
 */
export interface ContainerRuntime {
  readonly name: RuntimeName;

  /** 'present' or 'absent' (no registry: absent means the caller reports ImagePullBackOff). Never throws for a missing image. */
  ensureImage(image: string): Promise<'present' | 'absent'>;

  /** Create and start the pod's sandbox. */
  createSandbox(pod: PodRef, opts?: SandboxOptions): Promise<Sandbox>;

  /**
   * Create (not start) a container in a sandbox. `volumes` are the pod's host volumes; the spec's
   * volumeMounts refer to them by name. Throws ImageNotPresentError, InvalidContainerSpecError.
   */
  createContainer(sandboxId: string, spec: ContainerSpec, volumes: HostVolume[]): Promise<string>;

  /** Start a created container. Throws ContainerStartError when the command cannot run. */
  startContainer(id: string): Promise<void>;

  /** SIGTERM, then SIGKILL after `graceSeconds`. Resolves once the container has exited; a no-op if it already has. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;

  /** Remove a container (killing it if it runs). Idempotent. */
  removeContainer(id: string): Promise<void>;

  /**
   * Stop the sandbox's own process (a finished pod: its containers and their logs stay until the
   * sandbox is removed, but it holds no process and no address any more). Throws
   * SandboxNotFoundError; a no-op for a sandbox already stopped.
   */
  stopSandbox(sandboxId: string): Promise<void>;

  /** Remove the sandbox and all its containers. Idempotent. */
  removeSandbox(sandboxId: string): Promise<void>;

  inspectContainer(id: string): Promise<ContainerStatus>;

  /** Subscribe to container/sandbox events; returns the unsubscribe function. */
  onEvent(listener: RuntimeEventListener): () => void;

  /** A container's stdout and stderr, interleaved, as text bytes. Ends at the end of the log, or (follow) when the container exits. */
  logs(id: string, opts: LogOptions): Promise<Readable>;

  /**
   * Run a command in a running container. Throws ContainerNotFoundError, ContainerNotRunningError
   * (not running), ExecNotSupportedError (the runtime cannot, e.g. hollow).
   */
  exec(id: string, opts: ExecOptions): Promise<ExecProcess>;

  /**
   * Attach to a running container's main process. Throws ContainerNotFoundError,
   * ContainerNotRunningError, AttachNotSupportedError (the runtime cannot, e.g. hollow).
   */
  attach(id: string, opts: AttachOptions): Promise<AttachedProcess>;

  /** Every pod this runtime (this node) holds, from the runtime itself, not from memory. */
  listPods(): Promise<RuntimePod[]>;

  stats(id: string): Promise<ContainerStats>;

  /** Release the runtime's own resources (event streams, file handles). What happens to running containers is runtime-specific (see README). */
  close(): Promise<void>;
}
