/**
 * The pod machine's effects on a real node: its named actions (`createSandbox`, `startContainer`,
 * `stopContainer`, `stopSandbox`, `removePod`, `recordEvent`, `reportStatus`; its container
 * actors ask for theirs through it) become ContainerRuntime calls,
 * and what the runtime answers or reports (`started`, `exited`) goes back into the machine as
 * facts stamped with the runtime's own times.
 *
 * Ordering: runtime calls that answer the machine (sandbox, container start, exit reports,
 * removal) run one at a time per pod, in request order, so an exit is never reported before the
 * start it ends. Stops run beside that queue: a grace period must not hold up other containers.
 *
 * Re-adoption: a pod found in the runtime after a daemon restart is not created again. Its
 * sandbox answers `createSandbox`, and each container that still exists answers its first
 * `startContainer` by replaying `container.created`, `container.started` (and `container.exited`
 * if it has exited) into the machine, with the Events of that replay suppressed (they were
 * recorded the first time). An exited container is then handled by the restart policy.
 *
 * Probes: each run the containers' probers ask for (`runProbe`) goes to `deps.probe` with the
 * container's live runtime id and the pod's IP, beside the queue (a probe never waits for a
 * container start, nor holds one up); a run whose prober stopped is aborted and reports nothing.
 *
 * Init containers are containers like the others here (their specs are in `deps.specs`); the pod
 * machine decides when each starts.
 *
 * Volumes and configuration: `mountVolumes` sets the pod's volumes up (`deps.mountVolumes`; a
 * VolumeMountError answers `volumes.failed`, and the machine retries); each start builds the
 * container's configuration first (`deps.containerConfig`: env, `$(VAR)`, subPaths, with the
 * pod's IP; a ContainerConfigError answers `container.configFailed`). A pod adopted from a
 * previous daemon already runs on its volumes: a failure to set them up again is recorded as a
 * FailedMount Event and the pod goes on. `sourcesChanged()` wakes whatever waits on the cluster's
 * objects.
 */
import { createActor, fromCallback, type Actor, type ActorOptions, type InspectionEvent } from 'xstate';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import type {
  ContainerRuntime,
  ContainerSpec,
  ContainerStatus,
  HostVolume,
  PodRef,
  RuntimeEvent,
  RuntimePod,
  SandboxOptions,
} from '../../runtime/types.ts';
import { ContainerNotFoundError, ContainerStartError, ImageNotPresentError, SandboxNotFoundError } from '../../runtime/errors.ts';
import { containerMachine } from './container-machine.ts';
import { podMachine, type PodMachine } from './machine.ts';
import type { PodEventRecord, PodFactEvent, PodMachineInput, StopSignal } from './events.ts';
import type { ProbeOutcome, ProbeRunner } from './probe-spec.ts';
import { proberMachine, type ProberEvent, type ProbeRunInput } from './prober.ts';
import { podStatus } from './status.ts';
import { errorMessage } from '../../api/error-message.ts';
import { ContainerConfigError, VolumeMountError } from './config-errors.ts';

/** Exit code reported for a container that could not be created or started (as the kubelet's StartError). */
export const START_FAILED_EXIT_CODE = 128;
/** Exit code assumed for a container that vanished without an exit record (killed). */
const VANISHED_EXIT_CODE = 137;

/** What the effects need from the node daemon. */
export interface PodEffectsDeps {
  runtime: ContainerRuntime;
  pod: PodRef;
  /** Runtime specs by container name. */
  specs: ReadonlyMap<string, ContainerSpec>;
  /** The pod's host volumes, passed to every container when `containerConfig` is not given. */
  volumes: HostVolume[];
  /**
   * Set the pod's volumes up (`mountVolumes`); a VolumeMountError keeps the pod Pending, retried.
   * Absent: the pod has nothing to set up.
   */
  mountVolumes?(): Promise<void>;
  /**
   * A container's spec and volumes for the runtime at this start (env resolved, `$(VAR)`
   * expanded, subPaths prepared), with Events to record; a ContainerConfigError leaves it in
   * CreateContainerConfigError, retried. Absent: `specs` and `volumes` as given.
   */
  containerConfig?(name: string, ctx: { podIP?: string }): Promise<{ spec: ContainerSpec; volumes: HostVolume[]; events?: PodEventRecord[] }>;
  /** Write the sandbox's own files (resolv.conf); a throw fails the pod (`volume.failed`). */
  prepareVolumes(): Promise<void>;
  /** Delete the pod's files once its containers are gone. */
  removeVolumes(): Promise<void>;
  /** What the runtime still holds of this pod from before a daemon restart. */
  adopted?: RuntimePod;
  /** The node's IP, added to the status as `hostIP` (and the pod's IP on the host network). */
  hostIP?: string;
  /**
   * Where the sandbox goes (the node's pod bridge, or the host network): resolves once the node's
   * pod network is ready, so a pod assigned before that waits in ContainerCreating. Default: the
   * runtime's default network.
   */
  sandboxOptions?(): Promise<SandboxOptions>;
  /** The sandbox exists (the network finishes its port before the pod's containers start). */
  onSandboxCreated?(): Promise<void>;
  /**
   * Runs one probe of a container (the node's runners: exec, httpGet, tcpSocket, grpc). Without
   * it every probe run errors ("no probe runner"), so a container with a readiness probe never
   * becomes ready.
   */
  probe?: ProbeRunner;
  /** Every Kubernetes Event the machine records. */
  onEvent(record: PodEventRecord): void;
  /** Every status the machine reports (after each transition). */
  onStatus(status: PodStatus): void;
  /** The pod's sandbox, containers and files are gone (after `removePod`). */
  onRemoved(): void;
  /** Runtime failures with no machine event to carry them. */
  onError(err: unknown): void;
  now?: () => number;
}

/** The timer source an actor runs on (xstate's `Clock`). */
export type ActorClock = NonNullable<ActorOptions<PodMachine>['clock']>;

export interface PodActorOptions {
  /** The actor's clock (xstate `Clock`); tests pass a SimulatedClock. */
  clock?: ActorClock;
  /** xstate inspection (the InspectionBus's `inspectorFor`). */
  inspect?: (event: InspectionEvent) => void;
}


/** Which PodRuntimeActor an actor system (one per pod actor and its children) belongs to. */
const OWNERS = new WeakMap<object, PodRuntimeActor>();

function ownerOf(system: unknown): PodRuntimeActor {
  const owner = OWNERS.get(system as object);
  if (!owner) throw new Error('pod effect from an actor system no PodRuntimeActor owns');
  return owner;
}

/** One pod's machine, wired to a runtime. */
export class PodRuntimeActor {
  readonly actor: Actor<PodMachine>;
  private readonly now: () => number;
  private queue: Promise<void> = Promise.resolve();
  private sandboxId: string | undefined;
  /** The pod's IP from its sandbox: where httpGet, tcpSocket and grpc probes connect by default. */
  private podIP: string | undefined;
  /** The live container of each spec name, and the one it replaced (kept for `logs --previous`). */
  private readonly current = new Map<string, string>();
  private readonly previous = new Map<string, string>();
  /**
   * Runtime ids whose exit was reported: an instance exits once. Its runtime event and the
   * check after a stop may both find it exited, and a second report would reach the run that
   * replaced it (a restart at once is `starting` when it arrives) as that run's failure.
   */
  private readonly exitReported = new Set<string>();
  /** Containers from before a restart, adopted on their first start. */
  private readonly adoptable = new Map<string, string>();
  /** Events of an adoption replay are not recorded again. */
  private replaying = false;
  /** What waits on the cluster's objects: `volumes` or a container's name (see sourcesChanged). */
  private readonly waitingOnSources = new Set<string>();
  private stopped = false;
  private removed = false;
  /** The grace SIGTERM is given, from the latest delete. */
  private graceSeconds: number;

  /** The pod's sandbox on the runtime and its IP (port-forward connects there), once created or adopted. */
  get sandbox(): { id: string; ip?: string } | undefined {
    if (this.sandboxId === undefined || this.removed) return undefined;
    return this.podIP === undefined ? { id: this.sandboxId } : { id: this.sandboxId, ip: this.podIP };
  }

  /** The runtime id of container `name`: the live one, or with `previous` the one it replaced. */
  containerId(name: string, previous = false): string | undefined {
    return (previous ? this.previous : this.current).get(name);
  }

  /** Whether `id` (the runtime's, without its `runtime://` prefix) is a container of `name` this pod still holds. */
  holdsContainer(name: string, id: string): boolean {
    return this.current.get(name) === id || this.previous.get(name) === id;
  }

  constructor(
    input: PodMachineInput,
    private readonly deps: PodEffectsDeps,
    options: PodActorOptions = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.graceSeconds = input.terminationGracePeriodSeconds;
    for (const c of deps.adopted?.containers ?? []) {
      if (deps.specs.has(c.name) && !this.adoptable.has(c.name)) this.adoptable.set(c.name, c.id);
    }
    this.actor = createActor(PodRuntimeActor.runtimeMachine(), {
      input,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    OWNERS.set(this.actor.system, this);
  }

  private static machine: PodMachine | undefined;

  /**
   * The pod machine with its effects, built once for every pod: each action finds the pod it
   * acts for by its actor system (one per pod actor tree). A machine per pod would rebuild the
   * whole state tree of the pod, container and prober machines for each (time and memory).
   */
  private static runtimeMachine(): PodMachine {
    PodRuntimeActor.machine ??= podMachine.provide({
      actions: {
        mountVolumes: ({ system }) => {
          const pod = ownerOf(system);
          void pod.enqueue(() => pod.mountVolumes());
        },
        createSandbox: ({ system }) => {
          const pod = ownerOf(system);
          void pod.enqueue(() => pod.createSandbox());
        },
        startContainer: ({ system }, params) => {
          const pod = ownerOf(system);
          void pod.enqueue(() => pod.startContainer(params.name));
        },
        stopContainer: ({ system }, params) => void ownerOf(system).stopContainer(params.name, params.signal, params.graceSeconds),
        removePod: ({ system }) => {
          const pod = ownerOf(system);
          void pod.enqueue(() => pod.removeAll(true));
        },
        stopSandbox: ({ system }) => {
          const pod = ownerOf(system);
          void pod.enqueue(() => pod.stopSandbox());
        },
        recordEvent: ({ system }, params) => {
          const pod = ownerOf(system);
          if (!pod.replaying) pod.deps.onEvent(params);
        },
        reportStatus: ({ system }, params) => {
          const pod = ownerOf(system);
          pod.deps.onStatus(pod.withHost(params.status));
        },
      },
      actors: {
        container: containerMachine.provide({
          actors: {
            prober: proberMachine.provide({
              actors: {
                runProbe: fromCallback<ProberEvent, ProbeRunInput>(({ input, system, sendBack }) => {
                  const pod = ownerOf(system);
                  const abort = new AbortController();
                  void pod.runProbe(input, abort.signal).then((outcome) => {
                    if (!abort.signal.aborted) sendBack({ type: 'probe.reported', outcome, at: pod.now() });
                  });
                  return () => abort.abort();
                }),
              },
            }),
          },
        }),
      },
    });
    return PodRuntimeActor.machine;
  }

  start(): this {
    this.actor.start();
    return this;
  }

  /** The pod's current status (for resending after a reconnect). */
  status(): PodStatus {
    return this.withHost(podStatus(this.actor.getSnapshot().context));
  }

  /** Whether the pod finished and its resources are gone. */
  get isRemoved(): boolean {
    return this.removed;
  }

  /** Graceful delete: SIGTERM, SIGKILL after `graceSeconds`, then removal. Repeats are ignored. */
  delete(graceSeconds: number): void {
    this.graceSeconds = graceSeconds;
    this.send({ type: 'pod.delete', at: this.now(), gracePeriodSeconds: graceSeconds });
  }

  /**
   * The node fenced itself (it lost every master past its self-fence period): the machine fails
   * the pod (NodeLost) and kills its containers.
   */
  fence(message: string): void {
    this.send({ type: 'node.fenced', at: this.now(), message });
  }

  /** A runtime event about this pod (the daemon dispatches by pod uid). */
  handleRuntimeEvent(event: RuntimeEvent): void {
    if (event.role !== 'container' || event.type !== 'exited') return;
    this.enqueue(() => this.reportExit(event.containerId, event.exitCode, event.time.getTime()));
  }

  /**
   * A ConfigMap, Secret, claim or PersistentVolume changed: if the pod waits on one (its volumes,
   * a container's configuration), it tries again now.
   */
  sourcesChanged(): void {
    if (this.waitingOnSources.size > 0) this.send({ type: 'sources.changed', at: this.now() });
  }

  /** Stop the machine and remove everything the pod has on the node, without a graceful stop (pods.sync). */
  teardown(): Promise<void> {
    this.stop();
    return this.enqueue(() => this.removeAll(false));
  }

  /** Stop the machine and leave the containers as they are (a daemon restart re-adopts them). */
  stop(): void {
    this.stopped = true;
    this.actor.stop();
  }

  private withHost(status: PodStatus): PodStatus {
    const hostIP = this.deps.hostIP;
    return hostIP === undefined ? status : { ...status, hostIP, hostIPs: [{ ip: hostIP }] };
  }

  private send(event: PodFactEvent): void {
    if (!this.stopped && this.actor.getSnapshot().status === 'active') this.actor.send(event);
  }

  private replay(events: PodFactEvent[]): void {
    this.replaying = true;
    try {
      for (const e of events) this.send(e);
    } finally {
      this.replaying = false;
    }
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task).catch((err: unknown) => this.deps.onError(err));
    return this.queue;
  }

  private containerID(id: string): string {
    return `${this.deps.runtime.name}://${id}`;
  }

  private async mountVolumes(): Promise<void> {
    if (this.removed || this.deps.mountVolumes === undefined) {
      if (!this.removed) this.send({ type: 'volumes.mounted', at: this.now() });
      return;
    }
    try {
      await this.deps.mountVolumes();
    } catch (err) {
      const volume = err instanceof VolumeMountError ? err.volume : '';
      const message = err instanceof VolumeMountError ? err.message : `MountVolume.SetUp failed: ${errorMessage(err)}`;
      if (this.deps.adopted?.sandboxId === undefined) {
        this.waitingOnSources.add('volumes');
        this.send({ type: 'volumes.failed', at: this.now(), volume, message });
        return;
      }
      // Adopted: its containers run on the volumes as they are; say what failed and go on.
      this.deps.onEvent({ type: 'Warning', reason: 'FailedMount', message });
    }
    this.waitingOnSources.delete('volumes');
    this.send({ type: 'volumes.mounted', at: this.now() });
  }

  /** The container's runtime spec and volumes for this start; undefined (reported) when it cannot be built. */
  private async containerConfig(name: string, spec: ContainerSpec): Promise<{ spec: ContainerSpec; volumes: HostVolume[] } | undefined> {
    if (this.deps.containerConfig === undefined) return { spec, volumes: this.deps.volumes };
    try {
      const config = await this.deps.containerConfig(name, this.podIP === undefined ? {} : { podIP: this.podIP });
      this.waitingOnSources.delete(name);
      for (const record of config.events ?? []) this.deps.onEvent(record);
      return config;
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      this.waitingOnSources.add(name);
      this.send({ type: 'container.configFailed', name, at: this.now(), message: err.message });
      return undefined;
    }
  }

  private async createSandbox(): Promise<void> {
    if (this.removed) return;
    const adopted = this.deps.adopted;
    if (adopted?.sandboxId !== undefined && this.sandboxId === undefined) {
      this.sandboxId = adopted.sandboxId;
      this.podIP = adopted.sandboxIP;
      this.replay([{ type: 'sandbox.created', at: this.now(), ...(adopted.sandboxIP === undefined ? {} : { podIP: adopted.sandboxIP }) }]);
      return;
    }
    try {
      await this.deps.prepareVolumes();
    } catch (err) {
      this.send({ type: 'volume.failed', at: this.now(), message: errorMessage(err) });
      return;
    }
    try {
      // Containers left without their sandbox cannot join a new one: remove them first.
      for (const id of this.adoptable.values()) await this.deps.runtime.removeContainer(id);
      this.adoptable.clear();
      const options = (await this.deps.sandboxOptions?.()) ?? {};
      const sandbox = await this.deps.runtime.createSandbox(this.deps.pod, options);
      this.sandboxId = sandbox.sandboxId;
      await this.deps.onSandboxCreated?.();
      // A host-network pod has the node's address (Kubernetes reports hostIP as its podIP).
      const podIP = sandbox.ip ?? (options.network === 'host' ? this.deps.hostIP : undefined);
      this.podIP = podIP;
      this.send({ type: 'sandbox.created', at: this.now(), ...(podIP === undefined ? {} : { podIP }) });
    } catch (err) {
      this.send({ type: 'sandbox.failed', at: this.now(), message: errorMessage(err) });
    }
  }

  private async startContainer(name: string): Promise<void> {
    const spec = this.deps.specs.get(name);
    if (this.removed || spec === undefined || this.sandboxId === undefined) return;
    const adoptedId = this.adoptable.get(name);
    if (adoptedId !== undefined) {
      this.adoptable.delete(name);
      if (await this.adopt(name, adoptedId)) return;
    }
    const { runtime } = this.deps;
    if ((await runtime.ensureImage(spec.image)) === 'absent') {
      this.send({ type: 'image.pullFailed', name, at: this.now(), message: `image "${spec.image}" is not present on the node and no registry is reachable` });
      return;
    }
    this.send({ type: 'image.pulled', name, at: this.now(), message: `Container image "${spec.image}" already present on machine` });
    const config = await this.containerConfig(name, spec);
    if (config === undefined || this.removed) return;
    await this.retire(name);
    let id: string;
    try {
      id = await runtime.createContainer(this.sandboxId, config.spec, config.volumes);
    } catch (err) {
      if (err instanceof ImageNotPresentError) {
        this.send({ type: 'image.pullFailed', name, at: this.now(), message: errorMessage(err) });
      } else {
        this.send({ type: 'container.exited', name, at: this.now(), exitCode: START_FAILED_EXIT_CODE, message: `CreateContainerError: ${errorMessage(err)}` });
      }
      return;
    }
    if (this.removed) {
      await runtime.removeContainer(id);
      return;
    }
    this.current.set(name, id);
    this.send({ type: 'container.created', name, at: this.now(), containerID: this.containerID(id) });
    try {
      await runtime.startContainer(id);
    } catch (err) {
      if (!(err instanceof ContainerStartError)) throw err;
      this.send({ type: 'container.exited', name, at: this.now(), exitCode: START_FAILED_EXIT_CODE, message: `StartError: ${errorMessage(err)}` });
      return;
    }
    const status = await this.inspect(id);
    this.send({ type: 'container.started', name, at: status?.startedAt?.getTime() ?? this.now(), containerID: this.containerID(id) });
    // The exit of a container that already finished arrives as a runtime event, queued after this.
  }

  /** Replay an adopted container into the machine; false when it is unusable (then it is replaced). */
  private async adopt(name: string, id: string): Promise<boolean> {
    const status = await this.inspect(id);
    if (status === undefined || status.state === 'created') {
      await this.deps.runtime.removeContainer(id);
      return false;
    }
    this.current.set(name, id);
    const containerID = this.containerID(id);
    const startedAt = status.startedAt?.getTime() ?? this.now();
    const facts: PodFactEvent[] = [
      { type: 'container.created', name, at: startedAt, containerID },
      { type: 'container.started', name, at: startedAt, containerID },
    ];
    if (status.state === 'exited') {
      this.exitReported.add(id);
      facts.push(this.exitFact(name, status, undefined, this.now()));
    }
    this.replay(facts);
    return true;
  }

  /** The previous-but-one container of `name` is removed; the current one becomes the previous. */
  private async retire(name: string): Promise<void> {
    const older = this.previous.get(name);
    if (older !== undefined) {
      await this.deps.runtime.removeContainer(older);
      this.exitReported.delete(older);
    }
    const last = this.current.get(name);
    if (last !== undefined) this.previous.set(name, last);
    else this.previous.delete(name);
    this.current.delete(name);
  }

  private exitFact(name: string, status: ContainerStatus | undefined, exitCode: number | undefined, at: number): PodFactEvent {
    return {
      type: 'container.exited',
      name,
      at: status?.finishedAt?.getTime() ?? at,
      exitCode: status?.exitCode ?? exitCode ?? VANISHED_EXIT_CODE,
      oomKilled: status?.oomKilled ?? false,
    };
  }

  /** Report the exit of container `id` (once) if it is still the live one of its name. */
  private async reportExit(id: string, exitCode: number | undefined, at: number): Promise<void> {
    const name = [...this.current].find(([, live]) => live === id)?.[0];
    if (name === undefined || this.removed || this.exitReported.has(id)) return;
    const status = await this.inspect(id);
    if (status !== undefined && status.state !== 'exited') return;
    this.exitReported.add(id);
    this.send(this.exitFact(name, status, exitCode, at));
  }

  /** One probe run on the container's live run; never throws. */
  private async runProbe(input: ProbeRunInput, signal: AbortSignal): Promise<ProbeOutcome> {
    const containerId = this.current.get(input.container);
    if (containerId === undefined) return { result: 'error', output: `container ${input.container} is not running` };
    if (this.deps.probe === undefined) return { result: 'error', output: 'no probe runner on this node' };
    try {
      const request = { ...input, containerId, ...(this.podIP === undefined ? {} : { podIP: this.podIP }) };
      return await this.deps.probe(request, signal);
    } catch (err) {
      return { result: 'error', output: errorMessage(err) };
    }
  }

  private async stopContainer(name: string, signal: StopSignal, graceSeconds?: number): Promise<void> {
    const id = this.current.get(name);
    // No id yet: its start is in flight, and the machine stops it once the start is reported.
    if (id === undefined) return;
    try {
      await this.deps.runtime.stopContainer(id, signal === 'SIGKILL' ? 0 : (graceSeconds ?? this.graceSeconds));
    } catch (err) {
      if (!(err instanceof ContainerNotFoundError)) this.deps.onError(err);
    }
    // The runtime's exit event normally reports it; this covers a missed or vanished one.
    await this.enqueue(() => this.reportExit(id, undefined, this.now()));
  }

  /** The pod finished: its sandbox's process goes (and with it the address), its containers stay. */
  private async stopSandbox(): Promise<void> {
    const id = this.sandboxId;
    if (id === undefined || this.removed) return;
    this.podIP = undefined;
    try {
      await this.deps.runtime.stopSandbox(id);
    } catch (err) {
      if (!(err instanceof SandboxNotFoundError)) throw err;
    }
  }

  private async inspect(id: string): Promise<ContainerStatus | undefined> {
    try {
      return await this.deps.runtime.inspectContainer(id);
    } catch (err) {
      if (err instanceof ContainerNotFoundError) return undefined;
      throw err;
    }
  }

  private async removeAll(notify: boolean): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    const { runtime } = this.deps;
    const ids = [...this.current.values(), ...this.previous.values(), ...this.adoptable.values(), ...(this.deps.adopted?.containers.map((c) => c.id) ?? [])];
    for (const id of new Set(ids)) await runtime.removeContainer(id);
    if (this.sandboxId !== undefined) await runtime.removeSandbox(this.sandboxId);
    else if (this.deps.adopted?.sandboxId !== undefined) await runtime.removeSandbox(this.deps.adopted.sandboxId);
    await this.deps.removeVolumes();
    if (notify) this.deps.onRemoved();
  }
}
