/** The pod machine's context rendered as a Kubernetes PodStatus, for the store. */
import type { ContainerState, ContainerStatus, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerRecord, ContainerStateRecord, PodContext } from './context.ts';
import { initCompleted, isSidecar, readinessRecords } from './container-records.ts';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { isTerminalPhase } from './events.ts';

function optionalTime(epochMs: number | undefined): { lastTransitionTime?: string } {
  return epochMs === undefined ? {} : { lastTransitionTime: toKubernetesTime(epochMs) };
}

function containerState(state: ContainerStateRecord): ContainerState {
  switch (state.kind) {
    case 'waiting':
      return { waiting: { reason: state.reason, ...(state.message === undefined ? {} : { message: state.message }) } };
    case 'running':
      return { running: { startedAt: toKubernetesTime(state.startedAt) } };
    case 'terminated':
      return {
        terminated: {
          exitCode: state.exitCode,
          reason: state.reason,
          finishedAt: toKubernetesTime(state.finishedAt),
          ...(state.startedAt === undefined ? {} : { startedAt: toKubernetesTime(state.startedAt) }),
          ...(state.message === undefined ? {} : { message: state.message }),
          ...(state.containerID === undefined ? {} : { containerID: state.containerID }),
        },
      };
  }
}

function containerStatus(c: ContainerRecord): ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID: '',
    ready: c.ready,
    restartCount: c.restartCount,
    started: c.state.kind === 'running' && c.started,
    state: containerState(c.state),
    lastState: c.lastState ? containerState(c.lastState) : {},
    ...(c.containerID === undefined ? {} : { containerID: c.containerID }),
  };
}

/** The Initialized condition: every init container completed (True from the sandbox on without any). */
function initializedCondition(context: PodContext): PodCondition {
  if (context.initContainers.length > 0) {
    if (context.initialized) return { type: 'Initialized', status: 'True', ...optionalTime(context.initializedAt ?? context.startTime) };
    const incomplete = context.initContainers.filter((c) => !(isSidecar(context, c.name) ? c.started : initCompleted(c)));
    const message = `containers with incomplete status: [${incomplete.map((c) => c.name).join(' ')}]`;
    return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message, ...optionalTime(context.startTime) };
  }
  return context.startTime === undefined
    ? { type: 'Initialized', status: 'False', reason: 'PodInitializing' }
    : { type: 'Initialized', status: 'True', ...optionalTime(context.startTime) };
}

function readinessConditions(context: PodContext): PodCondition[] {
  const unready = readinessRecords(context).filter((c) => !c.ready).map((c) => c.name);
  const since = optionalTime(context.readyTransitionAt ?? context.startTime);
  if (unready.length === 0) {
    return [
      { type: 'ContainersReady', status: 'True', ...since },
      { type: 'Ready', status: 'True', ...since },
    ];
  }
  const reason = isTerminalPhase(context.phase) ? 'PodCompleted' : 'ContainersNotReady';
  const message = `containers with unready status: [${unready.join(' ')}]`;
  return [
    { type: 'ContainersReady', status: 'False', reason, message, ...since },
    { type: 'Ready', status: 'False', reason, message, ...since },
  ];
}

/**
 * The Kubernetes `PodStatus` for this context: phase, conditions (PodScheduled, Initialized,
 * ContainersReady, Ready), init container and container statuses, start time, reason and message.
 * `podIP` is set once the sandbox reported one; `hostIP` is the effect layer's to add.
 */
export function podStatus(context: PodContext): PodStatus {
  // PodScheduled is False only when the scheduler says so; that condition is the scheduler's to write.
  const conditions: PodCondition[] = [
    ...(context.nodeName === undefined
      ? []
      : [{ type: 'PodScheduled', status: 'True', ...optionalTime(context.scheduledAt) }]),
    initializedCondition(context),
    ...readinessConditions(context),
  ];
  return {
    phase: context.phase,
    conditions,
    ...(context.initContainers.length === 0 ? {} : { initContainerStatuses: context.initContainers.map(containerStatus) }),
    containerStatuses: context.containers.map(containerStatus),
    ...(context.startTime === undefined ? {} : { startTime: toKubernetesTime(context.startTime) }),
    ...(context.podIP === undefined ? {} : { podIP: context.podIP, podIPs: [{ ip: context.podIP }] }),
    ...(context.reason === undefined ? {} : { reason: context.reason }),
    ...(context.message === undefined ? {} : { message: context.message }),
  };
}
