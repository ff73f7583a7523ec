/**
 * Predicates over the pod's records of its containers (what each container actor last reported),
 * pure: the helpers the pod machine's guards call to choose its transitions (Running once every
 * container started; Succeeded or Failed once every container is done; which init container runs
 * next). They read records, never a state machine's state.
 */
import type { ContainerReport } from './container-events.ts';
import type { ContainerRecord, PodContext, TerminatedState } from './context.ts';

/** The context with a container's report taken in (its record replaced). */
export function withReport(context: PodContext, report: ContainerReport): PodContext {
  const replace = (records: ContainerRecord[]) => records.map((c) => (c.name === report.name ? report.view : c));
  return { ...context, initContainers: replace(context.initContainers), containers: replace(context.containers) };
}

/** Every container of the pod, init containers first. */
export function allRecords(context: PodContext): ContainerRecord[] {
  return [...context.initContainers, ...context.containers];
}

export function isInitContainer(context: PodContext, name: string): boolean {
  return context.initContainers.some((c) => c.name === name);
}

export function hasContainer(context: PodContext, name: string): boolean {
  return allRecords(context).some((c) => c.name === name);
}

/** How the container's latest run ended, if it ended. */
export function lastRun(c: ContainerRecord): TerminatedState | undefined {
  return c.state.kind === 'terminated' ? c.state : c.lastState;
}

/** Done, and its last run exited 0 (a container stopped while backing off is judged by the run it backed off from). */
export function succeeded(c: ContainerRecord): boolean {
  return c.life === 'done' && lastRun(c)?.exitCode === 0;
}

/** An init container that ran to completion (exit 0, not to run again). */
export function initCompleted(c: ContainerRecord): boolean {
  return c.life === 'done' && c.state.kind === 'terminated' && c.state.exitCode === 0;
}

/** An init container that will not run again without having completed: the pod cannot start. */
export function initFailed(c: ContainerRecord): boolean {
  return c.life === 'done' && !initCompleted(c);
}

/** A sidecar: an init container with `restartPolicy: Always`, running beside the containers. */
export function isSidecar(context: PodContext, name: string): boolean {
  return context.containerInputs.some((i) => i.name === name && i.sidecar === true);
}

/**
 * The init container lets the next one start: it completed, or (a sidecar) it runs and started
 * (its startup probe passed, if it has one).
 */
export function initReady(context: PodContext, c: ContainerRecord): boolean {
  return isSidecar(context, c.name) ? c.life === 'running' && c.started : initCompleted(c);
}

/** The init container is behind the pod: it completed, or (a sidecar) it was started. */
function initPassed(context: PodContext, c: ContainerRecord): boolean {
  return isSidecar(context, c.name) ? c.startedOnce : initCompleted(c);
}

export function everyInitPassed(context: PodContext): boolean {
  return context.initContainers.every((c) => initPassed(context, c));
}

/** The containers the pod's readiness counts: its containers and its sidecars. */
export function readinessRecords(context: PodContext): ContainerRecord[] {
  return [...context.initContainers.filter((c) => isSidecar(context, c.name)), ...context.containers];
}

/** The sidecars, by name. */
export function sidecarNames(context: PodContext): string[] {
  return context.containerInputs.filter((i) => i.sidecar === true).map((i) => i.name);
}

export function everyStarted(records: readonly ContainerRecord[]): boolean {
  return records.every((c) => c.startedOnce);
}

export function everyDone(records: readonly ContainerRecord[]): boolean {
  return records.every((c) => c.life === 'done');
}

export function someRunning(context: PodContext): boolean {
  return allRecords(context).some((c) => c.life === 'running');
}

export function everyReady(records: readonly ContainerRecord[]): boolean {
  return records.every((c) => c.ready);
}

/** The init container to run next: the first not behind the pod (a container starts only once from waiting). */
export function nextInitContainer(context: PodContext): ContainerRecord | undefined {
  return context.initContainers.find((c) => !initPassed(context, c));
}
