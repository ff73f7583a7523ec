/**
 * What the pod machine remembers: its own facts (node, sandbox, deletion, phase) and, per
 * container, what that container's actor last reported. Times are epoch ms taken from the events
 * that reported them; `status.ts` turns them into the Kubernetes shape.
 */
import type { ContainerMachineInput } from './container-context.ts';
import type { PodMachineInput, PodPhase, RestartPolicy } from './events.ts';
import type { ProbeKind } from './probe-spec.ts';

/** Kubernetes reasons a container is waiting. */
export type WaitingReason =
  | 'PodInitializing'
  | 'ContainerCreating'
  | 'CrashLoopBackOff'
  | 'ImagePullBackOff'
  | 'ErrImagePull'
  | 'CreateContainerConfigError';

/** Kubernetes reasons a container terminated. */
export type TerminatedReason = 'Completed' | 'Error' | 'OOMKilled';

export interface TerminatedState {
  kind: 'terminated';
  exitCode: number;
  reason: TerminatedReason;
  /** Unset when the container failed before it was reported started. */
  startedAt?: number;
  finishedAt: number;
  message?: string;
  /** The runtime's id of the instance that terminated (`docker://…`): where its log is read. */
  containerID?: string;
}

/** A container's current state, one of Kubernetes' three. */
export type ContainerStateRecord =
  | { kind: 'waiting'; reason: WaitingReason; message?: string }
  | { kind: 'running'; startedAt: number }
  | TerminatedState;

/**
 * Where a container is in its life, as its actor last reported it (what the pod's guards read):
 * - `waiting`: not started yet, or being started (also while an image pull is retried);
 * - `running`;
 * - `restarting`: it exited and the restart policy starts it again (at once or after a back-off);
 * - `done`: it will not be started again (exited for good, or stopped by the pod).
 */
export type ContainerLife = 'waiting' | 'running' | 'restarting' | 'done';

/**
 * One container as its pod knows it: what the container actor (`container:<name>`) last
 * reported, enough to render its `ContainerStatus` and for the pod's guards to decide the phase.
 */
export interface ContainerRecord {
  name: string;
  image: string;
  life: ContainerLife;
  state: ContainerStateRecord;
  lastState?: TerminatedState;
  restartCount: number;
  /**
   * Kubernetes' `ready`: running, started, and its readiness probe (if any) passed. A container
   * with a startup or readiness probe starts each run not ready.
   */
  ready: boolean;
  /**
   * Kubernetes' `started` (while running): the startup probe passed in this run, or there is
   * none. Liveness and readiness probes wait for it.
   */
  started: boolean;
  /** Ran (or tried to run) at least once: phase Running needs this of every container. */
  startedOnce: boolean;
  containerID?: string;
}

/** A probe's latest result and its run length. */
export interface ProbeRun {
  result: 'success' | 'failure';
  count: number;
}

export type ProbeRuns = Partial<Record<ProbeKind, ProbeRun>>;

/** Set once the pod is being deleted. */
export interface Deletion {
  graceSeconds: number;
  /** SIGKILL has been sent (grace 0, or the grace period ran out). */
  killed: boolean;
}

export interface PodContext {
  namespace: string;
  name: string;
  uid: string;
  nodeName?: string;
  scheduledAt?: number;
  restartPolicy: RestartPolicy;
  terminationGracePeriodSeconds: number;
  /** When the sandbox came up: the pod's `startTime`. */
  startTime?: number;
  podIP?: string;
  /** Consecutive sandbox creation failures, for the sandbox retry back-off. */
  sandboxFailures: number;
  /** `spec.volumes` by name: set up before the sandbox. */
  volumes: ReadonlyArray<string>;
  /** Consecutive failed volume set-ups (FailedMount), for the mount retry back-off. */
  mountFailures: number;
  /** What each container actor is spawned with, init containers first. */
  containerInputs: ContainerMachineInput[];
  /** The init containers, in the order they run (`spec.initContainers`). */
  initContainers: ContainerRecord[];
  containers: ContainerRecord[];
  /** When the last init container completed (or, a sidecar, started): the Initialized condition's time. */
  initializedAt?: number;
  /** Whether the pod was initialized (its init containers done): once true, it stays. */
  initialized: boolean;
  phase: PodPhase;
  /** Pod-level `status.reason` (e.g. `NodeLost`) and `status.message`. */
  reason?: string;
  message?: string;
  /** When ContainersReady/Ready last changed. */
  readyTransitionAt?: number;
  deletion?: Deletion;
  /** The status last written (`reportStatus`), as JSON: a status is written only when it changed. */
  reportedStatus?: string;
  /** Some status was written (the first one is held back until something changes, or the pod waits). */
  statusWritten: boolean;
  /** `removePod` was asked for: nothing is written any more. */
  removed: boolean;
}

/**
 * The kubelet's waiting reason for a container not created yet: PodInitializing in a pod with
 * init containers, ContainerCreating otherwise (also while the pod's volumes are set up).
 */
export function notCreatedReason(podHasInitContainers: boolean): WaitingReason {
  return podHasInitContainers ? 'PodInitializing' : 'ContainerCreating';
}

/** A container's record before its actor reported anything. */
export function initialContainerRecord(spec: { name: string; image: string }, podHasInitContainers = true): ContainerRecord {
  return {
    name: spec.name,
    image: spec.image,
    life: 'waiting',
    state: { kind: 'waiting', reason: notCreatedReason(podHasInitContainers) },
    restartCount: 0,
    ready: false,
    started: false,
    startedOnce: false,
  };
}

/** What the pod's container actors are spawned with, init containers first. */
function containerInputsOf(input: PodMachineInput): ContainerMachineInput[] {
  const pod = { namespace: input.namespace, name: input.name, uid: input.uid };
  const podHasInitContainers = (input.initContainers ?? []).length > 0;
  const common = { pod, terminationGracePeriodSeconds: input.terminationGracePeriodSeconds, podHasInitContainers };
  // An init container that completed never runs again: it restarts only on failure (or never).
  const initPolicy: RestartPolicy = input.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
  return [
    ...(input.initContainers ?? []).map((c) =>
      c.restartPolicy === 'Always'
        ? { ...common, name: c.name, image: c.image, init: true, sidecar: true, restartPolicy: 'Always' as const, probes: c.probes ?? {} }
        : { ...common, name: c.name, image: c.image, init: true, restartPolicy: initPolicy, probes: {} },
    ),
    ...input.containers.map((c) => ({ ...common, name: c.name, image: c.image, init: false, restartPolicy: input.restartPolicy, probes: c.probes ?? {} })),
  ];
}

/** The context a pod machine starts with. */
export function initialPodContext(input: PodMachineInput): PodContext {
  return {
    containerInputs: containerInputsOf(input),
    namespace: input.namespace,
    name: input.name,
    uid: input.uid,
    nodeName: input.nodeName,
    scheduledAt: input.scheduledAt,
    restartPolicy: input.restartPolicy,
    terminationGracePeriodSeconds: input.terminationGracePeriodSeconds,
    sandboxFailures: 0,
    volumes: input.volumes ?? [],
    mountFailures: 0,
    initContainers: (input.initContainers ?? []).map((c) => initialContainerRecord(c)),
    containers: input.containers.map((c) => initialContainerRecord(c, (input.initContainers ?? []).length > 0)),
    phase: 'Pending',
    initialized: (input.initContainers ?? []).length === 0,
    statusWritten: false,
    removed: false,
  };
}
