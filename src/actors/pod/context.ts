/**
 * What the pod machine remembers. Times are epoch ms taken from the events that reported them;
 * `status.ts` turns them into the Kubernetes shape.
 */
import type { PodMachineInput, PodPhase, RestartPolicy } from './events.ts';
import type { ContainerProbes, ProbeKind } from './probe-spec.ts';

/** Kubernetes reasons a container is waiting. */
export type WaitingReason =
  | 'PodInitializing'
  | 'ContainerCreating'
  | 'CrashLoopBackOff'
  | 'ImagePullBackOff'
  | 'ErrImagePull';

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
 * Where a container is in its life, which decides what the machine accepts for it:
 * - `awaitingSandbox`: nothing requested yet;
 * - `starting`: `startContainer` was requested, waiting for the runtime's answer;
 * - `running`;
 * - `backingOff`: a retry is scheduled (CrashLoopBackOff or ImagePullBackOff);
 * - `stopped`: it will not be (re)started.
 */
export type ContainerStep = 'awaitingSandbox' | 'starting' | 'running' | 'backingOff' | 'stopped';

export interface ContainerRecord {
  name: string;
  image: string;
  step: ContainerStep;
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
  /** The container's probes, from the spec. */
  probes: ContainerProbes;
  /**
   * The latest result of each probe in this run and how many times in a row it came
   * (the kubelet worker's `lastResult`/`resultRun`; capped at the threshold that applies).
   */
  probeRuns: ProbeRuns;
  /** A liveness or startup probe failed and the run is being killed: no probe runs until it restarts. */
  unhealthy?: 'liveness' | 'startup';
  /** Ran (or tried to run) at least once: phase Running needs this of every container. */
  startedOnce: boolean;
  /** Consecutive crashes counted for CrashLoopBackOff (reset after 10 min running). */
  crashFailures: number;
  /** Consecutive failed image pulls counted for ImagePullBackOff. */
  pullFailures: number;
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
  containers: ContainerRecord[];
  phase: PodPhase;
  /** Pod-level `status.reason` (e.g. `NodeLost`) and `status.message`. */
  reason?: string;
  message?: string;
  /** When ContainersReady/Ready last changed. */
  readyTransitionAt?: number;
  deletion?: Deletion;
}

/** The context a pod machine starts with. */
export function initialPodContext(input: PodMachineInput): PodContext {
  return {
    namespace: input.namespace,
    name: input.name,
    uid: input.uid,
    nodeName: input.nodeName,
    scheduledAt: input.scheduledAt,
    restartPolicy: input.restartPolicy,
    terminationGracePeriodSeconds: input.terminationGracePeriodSeconds,
    sandboxFailures: 0,
    containers: input.containers.map((c) => ({
      name: c.name,
      image: c.image,
      step: 'awaitingSandbox',
      state: { kind: 'waiting', reason: 'PodInitializing' },
      restartCount: 0,
      ready: false,
      started: false,
      probes: c.probes ?? {},
      probeRuns: {},
      startedOnce: false,
      crashFailures: 0,
      pullFailures: 0,
    })),
    phase: 'Pending',
  };
}
