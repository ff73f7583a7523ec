/**
 * What a pod and its container actors say to each other. The pod commands (`container.start`,
 * `container.stop`) and hands each container the runtime's facts about it; a container reports
 * where it is (`container.running`, `container.terminated`, `container.changed`, each with its
 * status as the pod shows it) and asks the pod to carry out its effects (`container.effect`),
 * so every effect stays one of the pod machine's named actions.
 */
import type { ContainerRecord } from './context.ts';
import type { ContainerFactEvent, PodEffectParams, ProbeFactEvent, StopSignal } from './events.ts';

/** Why the pod stops a container. */
export type StopReason =
  /** The pod is being deleted: SIGTERM (or SIGKILL with grace 0), readiness goes on until it exits. */
  | 'deleted'
  /** The delete's grace period ran out: SIGKILL. */
  | 'graceExpired'
  /** The pod failed as a whole (a volume failed, an init container failed for good): SIGKILL. */
  | 'podFailed'
  /** The pod's node is lost: nothing can be signalled, nothing starts again. */
  | 'nodeLost'
  /** The pod's containers are done: its sidecars stop (SIGTERM). */
  | 'podCompleted';

/** The pod's commands to a container actor. */
export type ContainerCommand =
  /** Start (the sandbox is up and, for a container, every init container completed). */
  | { type: 'container.start' }
  /** A ConfigMap, Secret or claim changed: a container waiting on its configuration tries again now. */
  | { type: 'container.retry' }
  /**
   * Stop for good: never (re)start again; a running container is signalled with `signal`.
   * `graceSeconds`: the delete's grace (for the Event's wording; the effect layer applies it).
   */
  | { type: 'container.stop'; reason: StopReason; signal?: StopSignal; graceSeconds?: number };

/** What a container actor's status report says about it, with its status (`view`). */
export type ContainerReport =
  /** A run started (the first, a restart, or a start that landed after a stop). */
  | { type: 'container.running'; name: string; view: ContainerRecord; at?: number }
  /** A run ended; `willRestart` is the restart policy's answer (DESIGN.md §4). */
  | { type: 'container.terminated'; name: string; exitCode: number; willRestart: boolean; view: ContainerRecord; at?: number }
  /** Something else the status shows changed (waiting reason, ready, started, container id), or a stop was taken. */
  | { type: 'container.changed'; name: string; view: ContainerRecord; at?: number };

/** An effect a container asks its pod to carry out (the pod's named action of that name). */
export type ContainerEffect =
  | { type: 'startContainer'; params: PodEffectParams['startContainer'] }
  | { type: 'stopContainer'; params: PodEffectParams['stopContainer'] }
  | { type: 'recordEvent'; params: PodEffectParams['recordEvent'] };

/** A container's request for an effect. */
export interface ContainerEffectRequest {
  type: 'container.effect';
  effect: ContainerEffect;
}

/** What a container actor raises to itself, so its two running regions (health, readiness) move together. */
export type ContainerInternalEvent =
  /** The startup probe passed: liveness and readiness probes may run. */
  | { type: 'container.startupPassed'; at: number }
  /** A liveness or startup probe failed: the run is being killed, it is not ready. */
  | { type: 'container.unhealthy' };

/** Everything a container actor accepts. */
export type ContainerMachineEvent = ContainerCommand | ContainerFactEvent | ProbeFactEvent | ContainerInternalEvent;

/** A container actor's id among its pod's children. */
export function containerActorId(name: string): string {
  return `container:${name}`;
}
