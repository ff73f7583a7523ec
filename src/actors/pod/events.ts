/**
 * The pod machine's vocabulary: what it is told (input, events) and what it asks for (effects).
 * Facts from the runtime are past tense (`container.exited`), commands imperative (`pod.delete`).
 * Every external event carries `at` (epoch ms, stamped by the effect layer from its clock) so the
 * machine stays pure: it never reads the time itself.
 */
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerProbes, ProbeKind } from './probe-spec.ts';

/** Kubernetes restart policies. */
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** Kubernetes pod phases. */
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** Succeeded and Failed are final phases: nothing moves a pod out of them. */
export function isTerminalPhase(phase: PodPhase): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** What a pod machine is created with: the pod's identity and the parts of its spec it enforces. */
export interface PodMachineInput {
  namespace: string;
  name: string;
  uid: string;
  /** Set when the pod is already bound; otherwise the machine waits for `pod.scheduled`. */
  nodeName?: string;
  /** When the pod was bound (epoch ms), for the PodScheduled condition. */
  scheduledAt?: number;
  restartPolicy: RestartPolicy;
  terminationGracePeriodSeconds: number;
  containers: ReadonlyArray<{ name: string; image: string; probes?: ContainerProbes }>;
  /**
   * `spec.initContainers`: each runs to completion, in order, before the containers start; one
   * with `restartPolicy: Always` is a sidecar: once started it lets the next one start and runs
   * beside the containers for the pod's life (restarted whenever it exits).
   */
  initContainers?: ReadonlyArray<{ name: string; image: string; restartPolicy?: 'Always'; probes?: ContainerProbes }>;
  /**
   * `spec.volumes` by name: a pod with volumes has them set up (`mountVolumes`) before its
   * sandbox; one that cannot be set up leaves it Pending, retried (FailedMount).
   */
  volumes?: ReadonlyArray<string>;
}

/** Events the pod machine accepts. */
export type PodMachineEvent =
  /** The scheduler bound the pod to a node. */
  | { type: 'pod.scheduled'; nodeName: string; at: number }
  /** The sandbox (network namespace holder) exists. */
  | { type: 'sandbox.created'; at: number; podIP?: string }
  | { type: 'sandbox.failed'; at: number; message: string }
  | { type: 'image.pulled'; name: string; at: number; message?: string }
  /** The image is missing and cannot be pulled. */
  | { type: 'image.pullFailed'; name: string; at: number; message: string }
  | { type: 'container.created'; name: string; at: number; containerID?: string }
  | { type: 'container.started'; name: string; at: number; containerID?: string }
  | {
      type: 'container.exited';
      name: string;
      at: number;
      exitCode: number;
      oomKilled?: boolean;
      message?: string;
    }
  /** Every volume of the pod is set up (answers `mountVolumes`). */
  | { type: 'volumes.mounted'; at: number }
  /**
   * A volume cannot be set up yet (answers `mountVolumes`): the pod stays Pending and retries.
   * `message` is the kubelet's sentence, e.g. `MountVolume.SetUp failed for volume "cfg" : configmap "x" not found`.
   */
  | { type: 'volumes.failed'; at: number; volume: string; message: string }
  /**
   * A ConfigMap, Secret, claim or PersistentVolume the node watches changed: whatever waits on
   * one (a volume set-up, a container's configuration) tries again now rather than after its back-off.
   */
  | { type: 'sources.changed'; at: number }
  /**
   * A container's configuration cannot be built (env from a missing ConfigMap or Secret, a
   * subPath): it waits in CreateContainerConfigError and is retried (answers `startContainer`).
   */
  | { type: 'container.configFailed'; name: string; at: number; message: string }
  /** A volume or the disk under the pod failed: the pod fails as a whole. */
  | { type: 'volume.failed'; at: number; message: string }
  /** The node controller decided the pod's node is lost (unreachable past its grace). */
  | { type: 'node.lost'; at: number; message?: string }
  /**
   * The pod's own node fenced itself: it lost every master past its self-fence period
   * (src/actors/node/fencing.ts), so the masters will fail its pods and have them replaced
   * elsewhere. The pod fails now (reason NodeLost) and its containers are killed, so the pod is
   * known stopped before a replacement can run.
   */
  | { type: 'node.fenced'; at: number; message: string }
  /** Delete the pod gracefully: SIGTERM, SIGKILL after the grace period, then remove it. */
  | { type: 'pod.delete'; at: number; gracePeriodSeconds?: number }
  | ProbeFactEvent;

/**
 * What one run of a container's probe found, sent by its prober (a child actor of the pod).
 * `probe.errored`: the probe could not be run; the kubelet records it and throws the result away.
 */
export type ProbeFactEvent =
  /** `warning`: succeeded with something to report (an HTTP redirect not followed). */
  | { type: 'probe.succeeded'; name: string; kind: ProbeKind; at: number; warning?: string }
  | { type: 'probe.failed'; name: string; kind: ProbeKind; at: number; message: string }
  | { type: 'probe.errored'; name: string; kind: ProbeKind; at: number; message: string };

/** Events from outside the pod machine: the runtime's facts and the API's commands. */
export type PodFactEvent = PodMachineEvent;

/** The facts about one container the pod hands to that container's actor. */
export type ContainerFactEvent = Extract<
  PodMachineEvent,
  { type: 'image.pulled' | 'image.pullFailed' | 'container.created' | 'container.started' | 'container.exited' | 'container.configFailed' }
>;

/** A Kubernetes Event to record against the pod (`involvedObject` = the pod). */
export interface PodEventRecord {
  type: 'Normal' | 'Warning';
  /** Kubernetes reason, e.g. `Started`, `BackOff`, `OOMKilled`. */
  reason: string;
  message: string;
  /** Set when the event concerns one container (`involvedObject.fieldPath: spec.containers{name}`). */
  container?: string;
  /** The container is an init container (`fieldPath: spec.initContainers{name}`). */
  init?: true;
}

/** Signals `stopContainer` sends. */
export type StopSignal = 'SIGTERM' | 'SIGKILL';

/**
 * Named effects (xstate actions) and their params. They are no-ops in the machine;
 * the effect layer supplies them with `podMachine.provide({ actions })`.
 */
export interface PodEffectParams {
  /** Set up the pod's volumes; answer with `volumes.mounted` or `volumes.failed`. */
  mountVolumes: undefined;
  /** Create the sandbox; answer with `sandbox.created` or `sandbox.failed`. */
  createSandbox: undefined;
  /** Pull the image if needed, build its configuration, create and start the container; answer with `image.*`, `container.*`. */
  startContainer: { name: string };
  /**
   * Signal the container; its end is reported as `container.exited`. `graceSeconds` (with
   * SIGTERM): how long before SIGKILL, when not the delete's grace (a probe's kill).
   */
  stopContainer: { name: string; signal: StopSignal; graceSeconds?: number };
  /** Remove the sandbox and every container of the pod (also ones whose start was still in flight). */
  removePod: undefined;
  recordEvent: PodEventRecord;
  /** Write this status to the store (sent after every transition). */
  reportStatus: { status: PodStatus };
}

/** One requested effect, as the pure lifecycle rules return it. */
export type PodEffect = {
  [K in keyof PodEffectParams]: PodEffectParams[K] extends undefined
    ? { type: K }
    : { type: K; params: PodEffectParams[K] };
}[keyof PodEffectParams];
