/**
 * What a container actor (`container-machine.ts`) is created with and remembers. Its states say
 * where it is; the context keeps what its status shows (the Kubernetes state record, restart
 * count, ready, started) and the counts its guards read (crashes, failed pulls, probe runs).
 */
import { notCreatedReason, type ContainerLife, type ContainerRecord, type ContainerStateRecord, type ProbeRuns, type TerminatedState } from './context.ts';
import type { StopReason } from './container-events.ts';
import type { RestartPolicy, StopSignal } from './events.ts';
import type { ContainerProbes } from './probe-spec.ts';

/** What a container actor is spawned with by its pod. */
export interface ContainerMachineInput {
  pod: { namespace: string; name: string; uid: string };
  name: string;
  image: string;
  /** An init container: it runs to completion (unless a sidecar); its Events name `spec.initContainers{name}`. */
  init: boolean;
  /** A sidecar (an init container with `restartPolicy: Always`): it runs beside the containers. */
  sidecar?: boolean;
  /**
   * The policy its exits follow: the pod's `restartPolicy`, except that an init container's is
   * OnFailure unless the pod's is Never (an init container that completed never runs again),
   * and a sidecar's is Always.
   */
  restartPolicy: RestartPolicy;
  /** The pod's grace, for a probe kill when the probe sets none. */
  terminationGracePeriodSeconds: number;
  probes: ContainerProbes;
  /**
   * The pod has init containers: a container being created then shows `PodInitializing`, not
   * `ContainerCreating` (the kubelet's default waiting reason for such a pod's containers).
   */
  podHasInitContainers?: boolean;
}

/** A lifecycle report the container owes its pod (sent once the transition settles). */
export type Announcement =
  | { type: 'container.running' }
  | { type: 'container.terminated'; exitCode: number; willRestart: boolean }
  | { type: 'container.changed' };

export interface ContainerContext extends ContainerMachineInput {
  /** Where it is, for the pod (set by the entry of each state). */
  life: ContainerLife;
  /** Its Kubernetes state as the status shows it. */
  state: ContainerStateRecord;
  lastState?: TerminatedState;
  restartCount: number;
  startedOnce: boolean;
  ready: boolean;
  started: boolean;
  containerID?: string;
  /** Crashes in a row (CrashLoopBackOff; reset by a run of 10 min). */
  crashes: number;
  /** Failed image pulls in a row (ImagePullBackOff). */
  pullFailures: number;
  /** Failed attempts in a row to build its configuration (CreateContainerConfigError). */
  configFailures: number;
  /** The run of identical results of each probe in this run (capped at its threshold). */
  probeRuns: ProbeRuns;
  /** This run is being killed for failing its liveness or startup probe. */
  unhealthy?: 'liveness' | 'startup';
  /** The pod stopped it for good: why, and the signal a start that lands late gets. */
  stop?: { reason: StopReason; signal?: StopSignal };
  /** The record the pod last got (JSON): a report goes only when it changed or is owed. */
  reported: string;
  /** A lifecycle report owed to the pod. */
  announce?: Announcement;
}

/** A container actor's context before anything happened. */
export function initialContainerContext(input: ContainerMachineInput): ContainerContext {
  const context: ContainerContext = {
    ...input,
    life: 'waiting',
    state: { kind: 'waiting', reason: input.init ? 'PodInitializing' : notCreatedReason(input.podHasInitContainers === true) },
    restartCount: 0,
    startedOnce: false,
    ready: false,
    started: false,
    crashes: 0,
    pullFailures: 0,
    configFailures: 0,
    probeRuns: {},
    reported: '',
  };
  return { ...context, reported: JSON.stringify(containerRecord(context)) };
}

/** The record of this container its pod keeps (what `podStatus` renders). */
export function containerRecord(c: ContainerContext): ContainerRecord {
  return {
    name: c.name,
    image: c.image,
    life: c.life,
    state: c.state,
    ...(c.lastState === undefined ? {} : { lastState: c.lastState }),
    restartCount: c.restartCount,
    ready: c.ready,
    started: c.started,
    startedOnce: c.startedOnce,
    ...(c.containerID === undefined ? {} : { containerID: c.containerID }),
  };
}
