/**
 * The pod lifecycle rules (DESIGN.md §4) as pure functions: given the context and a fact, return
 * the next context, the effects to request and the back-off timers to set, or `undefined` when the
 * fact does not apply (a stale or duplicate report). `machine.ts` decides which facts each state
 * listens to and turns an outcome into xstate actions.
 *
 * Every outcome records at least one Event: that is the "every transition records an Event" rule.
 */
import { backoffDelayMs, BACKOFF_RESET_AFTER_MS } from './backoff.ts';
import type {
  ContainerRecord,
  PodContext,
  TerminatedReason,
  TerminatedState,
} from './context.ts';
import type { PodEffect, PodEventRecord, PodMachineEvent, PodPhase, RestartPolicy, StopSignal } from './events.ts';

/** A back-off timer to set or clear for one container. */
export type TimerRequest =
  | { kind: 'schedule'; name: string; delayMs: number }
  | { kind: 'cancel'; name: string };

/** What one accepted fact does. */
export interface Outcome {
  context: PodContext;
  effects: PodEffect[];
  timers: TimerRequest[];
}

type EventOf<T extends PodMachineEvent['type']> = Extract<PodMachineEvent, { type: T }>;

/** Succeeded and Failed are final phases: nothing moves a pod out of them. */
export function isTerminalPhase(phase: PodPhase): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Whether a container that exited this way is started again under `policy`. */
export function restartsAfterExit(policy: RestartPolicy, exitCode: number, oomKilled: boolean): boolean {
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0 || oomKilled;
  return false;
}

/**
 * Whether a run killed for failing its liveness or startup probe is started again: unless the
 * policy is Never, whatever its exit code (the kubelet restarts it as part of the kill).
 */
export function restartsAfterProbeKill(policy: RestartPolicy, c: ContainerRecord): boolean {
  return c.unhealthy !== undefined && policy !== 'Never';
}

/** Whether some container is running (so deletion must wait for it to exit). */
export function hasRunningContainer(context: PodContext): boolean {
  return context.containers.some((c) => c.step === 'running');
}

/** How the container's latest run ended, if it ended. */
function lastRun(c: ContainerRecord): TerminatedState | undefined {
  return c.state.kind === 'terminated' ? c.state : c.lastState;
}

/**
 * The phase the containers imply (DESIGN.md §4). Succeeded and Failed are sticky: once computed
 * (or decided, as for a lost node) the phase never changes again.
 */
export function derivePhase(context: PodContext): PodPhase {
  if (isTerminalPhase(context.phase)) return context.phase;
  const { containers } = context;
  if (containers.every((c) => c.step === 'stopped')) {
    // A container stopped while backing off is judged by the run it backed off from.
    const allSucceeded = containers.every((c) => lastRun(c)?.exitCode === 0);
    return allSucceeded ? 'Succeeded' : 'Failed';
  }
  return containers.every((c) => c.startedOnce) ? 'Running' : 'Pending';
}

function event(
  type: PodEventRecord['type'],
  reason: string,
  message: string,
  container?: string,
): PodEffect {
  return { type: 'recordEvent', params: container === undefined ? { type, reason, message } : { type, reason, message, container } };
}

function findContainer(context: PodContext, name: string): ContainerRecord | undefined {
  return context.containers.find((c) => c.name === name);
}

function withContainer(context: PodContext, name: string, update: Partial<ContainerRecord>): PodContext {
  return { ...context, containers: context.containers.map((c) => (c.name === name ? { ...c, ...update } : c)) };
}

/** Recomputes what follows from the containers: the phase and when readiness last changed. */
export function settle(before: PodContext, after: PodContext, at: number | undefined): PodContext {
  const wasReady = before.containers.every((c) => c.ready);
  const isReady = after.containers.every((c) => c.ready);
  const readyTransitionAt = wasReady !== isReady && at !== undefined ? at : after.readyTransitionAt;
  return { ...after, phase: derivePhase(after), readyTransitionAt };
}

function outcome(before: PodContext, after: PodContext, at: number | undefined, effects: PodEffect[], timers: TimerRequest[] = []): Outcome {
  return { context: settle(before, after, at), effects, timers };
}

/**
 * Marks every container that is not running as never to start again, and clears their timers:
 * used when the pod is being deleted or has failed as a whole.
 */
function stopIdleContainers(context: PodContext): { context: PodContext; timers: TimerRequest[] } {
  const timers: TimerRequest[] = context.containers
    .filter((c) => c.step === 'backingOff')
    .map((c) => ({ kind: 'cancel', name: c.name }));
  const containers = context.containers.map((c) =>
    c.step === 'running' || c.step === 'stopped' ? c : { ...c, step: 'stopped' as const, ready: false },
  );
  return { context: { ...context, containers }, timers };
}

function podRef(context: PodContext): string {
  return `${context.namespace}/${context.name}`;
}

function onScheduled(context: PodContext, e: EventOf<'pod.scheduled'>): Outcome | undefined {
  if (context.nodeName !== undefined) return undefined;
  const next = { ...context, nodeName: e.nodeName, scheduledAt: e.at };
  return outcome(context, next, e.at, [
    event('Normal', 'Scheduled', `Successfully assigned ${podRef(context)} to ${e.nodeName}`),
  ]);
}

function onSandboxCreated(context: PodContext, e: EventOf<'sandbox.created'>): Outcome {
  const effects: PodEffect[] = [event('Normal', 'SandboxCreated', `Created pod sandbox${e.podIP ? ` with IP ${e.podIP}` : ''}`)];
  const containers = context.containers.map((c): ContainerRecord => {
    if (c.step !== 'awaitingSandbox') return c;
    effects.push({ type: 'startContainer', params: { name: c.name } });
    return { ...c, step: 'starting', state: { kind: 'waiting', reason: 'ContainerCreating' } };
  });
  const next = { ...context, containers, startTime: context.startTime ?? e.at, podIP: e.podIP, sandboxFailures: 0 };
  return outcome(context, next, e.at, effects);
}

function onSandboxFailed(context: PodContext, e: EventOf<'sandbox.failed'>): Outcome {
  const next = { ...context, sandboxFailures: context.sandboxFailures + 1 };
  return outcome(context, next, e.at, [
    event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${e.message}`),
  ]);
}

/** The sandbox back-off ran out: the machine creates the sandbox again (its entry action). */
export function onSandboxRetry(context: PodContext): Outcome {
  return outcome(context, context, undefined, [
    event('Normal', 'SandboxChanged', 'Pod sandbox failed, it will be re-created.'),
  ]);
}

function onImagePulled(context: PodContext, e: EventOf<'image.pulled'>): Outcome | undefined {
  const c = findContainer(context, e.name);
  if (c?.step !== 'starting') return undefined;
  const next = withContainer(context, c.name, { pullFailures: 0 });
  return outcome(context, next, e.at, [
    event('Normal', 'Pulled', e.message ?? `Successfully pulled image "${c.image}"`, c.name),
  ]);
}

function onImagePullFailed(context: PodContext, e: EventOf<'image.pullFailed'>): Outcome | undefined {
  const c = findContainer(context, e.name);
  if (c?.step !== 'starting') return undefined;
  const pullFailures = c.pullFailures + 1;
  const delayMs = backoffDelayMs(pullFailures);
  const next = withContainer(context, c.name, {
    step: 'backingOff',
    pullFailures,
    state: { kind: 'waiting', reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ${e.message}` },
  });
  return outcome(
    context,
    next,
    e.at,
    [
      event('Warning', 'Failed', `Failed to pull image "${c.image}": ${e.message}`, c.name),
      event('Warning', 'BackOff', `Back-off ${delayMs / 1000}s pulling image "${c.image}"`, c.name),
    ],
    [{ kind: 'schedule', name: c.name, delayMs }],
  );
}

function onContainerCreated(context: PodContext, e: EventOf<'container.created'>): Outcome | undefined {
  const c = findContainer(context, e.name);
  if (c?.step !== 'starting') return undefined;
  const next = e.containerID === undefined ? context : withContainer(context, c.name, { containerID: e.containerID });
  return outcome(context, next, e.at, [event('Normal', 'Created', `Created container ${c.name}`, c.name)]);
}

/** The signal that stops a container now: SIGKILL once deletion has no grace left (or none at all). */
function stopSignalNow(context: PodContext): StopSignal {
  return context.deletion && !context.deletion.killed ? 'SIGTERM' : 'SIGKILL';
}

function onContainerStarted(context: PodContext, e: EventOf<'container.started'>): Outcome | undefined {
  const c = findContainer(context, e.name);
  // A start still in flight when the pod was deleted or failed finds the container `stopped` but
  // never run since: it is tracked as running again so the pod waits for it to be killed.
  const lateStart = c?.step === 'stopped' && c.state.kind === 'waiting';
  if (!c || (c.step !== 'starting' && !lateStart)) return undefined;
  const next = withContainer(context, c.name, {
    step: 'running',
    state: { kind: 'running', startedAt: e.at },
    restartCount: c.startedOnce ? c.restartCount + 1 : c.restartCount,
    startedOnce: true,
    // Each run starts over: not started while a startup probe must pass, not ready while a
    // startup or readiness probe must pass.
    started: c.probes.startup === undefined,
    ready: c.probes.startup === undefined && c.probes.readiness === undefined,
    probeRuns: {},
    unhealthy: undefined,
    pullFailures: 0,
    containerID: e.containerID ?? c.containerID,
  });
  const effects: PodEffect[] = [event('Normal', 'Started', `Started container ${c.name}`, c.name)];
  if (context.deletion || isTerminalPhase(context.phase)) {
    const signal = stopSignalNow(context);
    effects.push(
      event('Normal', 'Killing', `Stopping container ${c.name}: the pod is ${context.deletion ? 'being deleted' : context.phase}`, c.name),
      { type: 'stopContainer', params: { name: c.name, signal } },
    );
  }
  return outcome(context, next, e.at, effects);
}

function terminatedReason(exitCode: number, oomKilled: boolean): TerminatedReason {
  if (oomKilled) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}

function exitEvent(c: ContainerRecord, t: TerminatedState): PodEffect {
  if (t.reason === 'OOMKilled') {
    return event('Warning', 'OOMKilled', `Container ${c.name} was OOM-killed (exit code ${t.exitCode})`, c.name);
  }
  if (t.reason === 'Error') return event('Warning', 'Error', `Container ${c.name} exited with code ${t.exitCode}`, c.name);
  return event('Normal', 'Completed', `Container ${c.name} completed (exit code 0)`, c.name);
}

function onContainerExited(context: PodContext, e: EventOf<'container.exited'>): Outcome | undefined {
  const c = findContainer(context, e.name);
  if (c?.step !== 'running' && c?.step !== 'starting') return undefined;
  const oomKilled = e.oomKilled ?? false;
  const startedAt = c.state.kind === 'running' ? c.state.startedAt : undefined;
  const terminated: TerminatedState = {
    kind: 'terminated',
    exitCode: e.exitCode,
    reason: terminatedReason(e.exitCode, oomKilled),
    ...(startedAt === undefined ? {} : { startedAt }),
    finishedAt: e.at,
    ...(e.message === undefined ? {} : { message: e.message }),
    // Only an instance that was started has a log: one that failed to start names none.
    ...(startedAt === undefined || c.containerID === undefined ? {} : { containerID: c.containerID }),
  };
  const effects = [exitEvent(c, terminated)];
  const restarts =
    !isTerminalPhase(context.phase) &&
    !context.deletion &&
    (restartsAfterExit(context.restartPolicy, e.exitCode, oomKilled) || restartsAfterProbeKill(context.restartPolicy, c));
  const ended = { ready: false, started: false, probeRuns: {}, unhealthy: undefined, startedOnce: true } as const;
  if (!restarts) {
    const next = withContainer(context, c.name, { step: 'stopped', state: terminated, ...ended });
    return outcome(context, next, e.at, effects);
  }
  const ranLongEnough = startedAt !== undefined && e.at - startedAt >= BACKOFF_RESET_AFTER_MS;
  const crashFailures = ranLongEnough ? 1 : c.crashFailures + 1;
  const delayMs = backoffDelayMs(crashFailures);
  const message = `back-off ${delayMs / 1000}s restarting failed container=${c.name} pod=${context.name}_${context.namespace}(${context.uid})`;
  const next = withContainer(context, c.name, {
    step: 'backingOff',
    state: { kind: 'waiting', reason: 'CrashLoopBackOff', message },
    lastState: terminated,
    ...ended,
    crashFailures,
  });
  effects.push(event('Warning', 'BackOff', `Back-off ${delayMs / 1000}s restarting failed container ${c.name}`, c.name));
  return outcome(context, next, e.at, effects, [{ kind: 'schedule', name: c.name, delayMs }]);
}

function onBackoffElapsed(context: PodContext, e: EventOf<'container.backoffElapsed'>): Outcome | undefined {
  const c = findContainer(context, e.name);
  if (c?.step !== 'backingOff') return undefined;
  const start: PodEffect = { type: 'startContainer', params: { name: c.name } };
  if (c.state.kind === 'waiting' && c.state.reason === 'ImagePullBackOff') {
    const next = withContainer(context, c.name, {
      step: 'starting',
      state: { kind: 'waiting', reason: 'ErrImagePull', message: `Retrying the pull of image "${c.image}"` },
    });
    return outcome(context, next, undefined, [event('Normal', 'Pulling', `Pulling image "${c.image}"`, c.name), start]);
  }
  // The container stays waiting in CrashLoopBackOff until the runtime reports it started.
  const next = withContainer(context, c.name, { step: 'starting' });
  return outcome(context, next, undefined, [
    event('Normal', 'Restarting', `Restarting container ${c.name} after back-off`, c.name),
    start,
  ]);
}

/** Kills what runs, stops everything else: the pod failed as a whole and will not restart. */
function failPod(context: PodContext, at: number, message: string, recorded: PodEffect): Outcome {
  const idle = stopIdleContainers(context);
  const effects: PodEffect[] = [recorded];
  for (const c of idle.context.containers) {
    if (c.step === 'running') effects.push({ type: 'stopContainer', params: { name: c.name, signal: 'SIGKILL' } });
  }
  const next: PodContext = { ...idle.context, phase: 'Failed', message };
  return outcome(context, next, at, effects, idle.timers);
}

function onVolumeFailed(context: PodContext, e: EventOf<'volume.failed'>): Outcome | undefined {
  if (isTerminalPhase(context.phase) || context.deletion) return undefined;
  const message = `Volume failed: ${e.message}`;
  return failPod(context, e.at, message, event('Warning', 'FailedMount', `${message}; killing all containers`));
}

function onNodeLost(context: PodContext, e: EventOf<'node.lost'>): Outcome | undefined {
  if (isTerminalPhase(context.phase)) return undefined;
  const message = e.message ?? `Node ${context.nodeName ?? '<none>'} which was running pod ${context.name} is unresponsive`;
  // The node cannot be reached, so its containers cannot be signalled: only the idle ones are
  // stopped here; `removePod` cleans up if the node comes back.
  const idle = stopIdleContainers(context);
  const next: PodContext = { ...idle.context, phase: 'Failed', reason: 'NodeLost', message };
  return outcome(context, next, e.at, [event('Warning', 'NodeLost', message)], idle.timers);
}

function onDelete(context: PodContext, e: EventOf<'pod.delete'>): Outcome | undefined {
  if (context.deletion) return undefined;
  const graceSeconds = Math.max(0, e.gracePeriodSeconds ?? context.terminationGracePeriodSeconds);
  const signal: StopSignal = graceSeconds === 0 ? 'SIGKILL' : 'SIGTERM';
  const idle = stopIdleContainers({ ...context, deletion: { graceSeconds, killed: signal === 'SIGKILL' } });
  const effects: PodEffect[] = [];
  for (const c of idle.context.containers) {
    if (c.step !== 'running') continue;
    effects.push(
      event('Normal', 'Killing', `Stopping container ${c.name} (${signal}, grace period ${graceSeconds}s)`, c.name),
      { type: 'stopContainer', params: { name: c.name, signal } },
    );
  }
  if (effects.length === 0) effects.push(event('Normal', 'Killing', `Removing pod ${podRef(context)}`));
  return outcome(context, idle.context, e.at, effects, idle.timers);
}

/** The grace period ran out: SIGKILL what still runs. */
export function onGraceExpired(context: PodContext): Outcome {
  const deletion = context.deletion ?? { graceSeconds: context.terminationGracePeriodSeconds, killed: false };
  const effects: PodEffect[] = [];
  for (const c of context.containers) {
    if (c.step !== 'running') continue;
    effects.push(
      event('Warning', 'ExceededGracePeriod', `Container ${c.name} did not stop within ${deletion.graceSeconds}s: sending SIGKILL`, c.name),
      { type: 'stopContainer', params: { name: c.name, signal: 'SIGKILL' } },
    );
  }
  return outcome(context, { ...context, deletion: { ...deletion, killed: true } }, undefined, effects);
}

/**
 * Applies one event to the context. `undefined` means the event does not apply (a stale or
 * duplicate report, or a command that was already carried out).
 */
export function applyPodEvent(context: PodContext, e: PodMachineEvent): Outcome | undefined {
  switch (e.type) {
    case 'pod.scheduled':
      return onScheduled(context, e);
    case 'sandbox.created':
      return onSandboxCreated(context, e);
    case 'sandbox.failed':
      return onSandboxFailed(context, e);
    case 'image.pulled':
      return onImagePulled(context, e);
    case 'image.pullFailed':
      return onImagePullFailed(context, e);
    case 'container.created':
      return onContainerCreated(context, e);
    case 'container.started':
      return onContainerStarted(context, e);
    case 'container.exited':
      return onContainerExited(context, e);
    case 'container.backoffElapsed':
      return onBackoffElapsed(context, e);
    case 'volume.failed':
      return onVolumeFailed(context, e);
    case 'node.lost':
      return onNodeLost(context, e);
    case 'pod.delete':
      return onDelete(context, e);
    case 'probe.succeeded':
    case 'probe.failed':
    case 'probe.errored':
      // Decided by the machine's guarded probe transitions (probe-rules.ts).
      return undefined;
  }
}
