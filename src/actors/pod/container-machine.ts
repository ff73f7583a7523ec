/**
 * The container machine: one child actor of the pod per container (id `container:<name>`), the
 * kubelet's view of one container's life.
 *
 * ```
 * waiting (PodInitializing) ─start→ starting (ContainerCreating) ─started→ running
 *   starting ─pull failed→ pullBackOff (ImagePullBackOff) ─after→ starting (ErrImagePull)
 *   starting ─config failed→ configError (CreateContainerConfigError) ─after | retry→ starting
 *   running | starting ─exited→ restarting? | terminated     (the restart table, DESIGN.md §4, as guards)
 *   restarting? → starting at once (the first crash) | backOff (CrashLoopBackOff) ─after→ starting
 *   any not running ─stop→ stopped          running ─stop→ signalled; its exit → terminated
 * ```
 * `running` is parallel: `health` (startup probe, then liveness; a failure kills the run) and
 * `readiness` (not ready until the startup probe passed, then the readiness probe decides). Each
 * probe's rhythm is a prober child (`prober.ts`, id `probe:<kind>`) invoked by the state where it
 * runs, so leaving the state (exit, kill, stop) stops it.
 *
 * Everything the container does goes through its pod: the named actions `startContainer`,
 * `stopContainer` and `recordEvent` send the pod a `container.effect`, which the pod carries out
 * as its own named action of that name (the effect layer provides the pod's). Once a transition
 * settles, the container reports to the pod (`container.running`, `container.terminated
 * {exitCode, willRestart}` or `container.changed`, each with its record) when something the pod
 * shows changed or a lifecycle point was reached.
 *
 * Timers are `after` transitions on the actor system's clock (tests use `SimulatedClock`): the
 * crash back-off (`crashBackOff`: at once the first time, then 10 s doubling to 5 min, reset by a
 * run of 10 min), the image pull back-off (`pullBackOff`: 10 s doubling) and the configuration
 * retry (`configRetry`: 10 s, the kubelet's pod worker back-off; a `container.retry` from the pod,
 * when a ConfigMap or Secret changed, retries at once).
 */
import { assign, raise, sendParent, setup } from 'xstate';
import { backoffDelayMs, CONFIG_RETRY_MS, crashesAfterExit, crashLoopBackOffMs } from './backoff.ts';
import { containerRecord, initialContainerContext, type ContainerContext, type ContainerMachineInput } from './container-context.ts';
import type { ContainerEffect, ContainerEffectRequest, ContainerMachineEvent } from './container-events.ts';
import type { TerminatedReason, TerminatedState } from './context.ts';
import type { PodEventRecord, ProbeFactEvent, StopSignal } from './events.ts';
import { nextProbeRun, probeResultEvents, remainingInitialDelayMs, resultOf, thresholdReached } from './probe-rules.ts';
import type { ProbeKind } from './probe-spec.ts';
import { proberId, proberMachine, type ProberInput } from './prober.ts';

type Event = ContainerMachineEvent;
type EventOf<T extends Event['type']> = Extract<Event, { type: T }>;

function isProbeFact(e: Event): e is ProbeFactEvent {
  return e.type === 'probe.succeeded' || e.type === 'probe.failed' || e.type === 'probe.errored';
}

function timeOf(e: Event): number | undefined {
  return 'at' in e ? e.at : undefined;
}

/** A container's record as JSON, once per context object (the report check runs after every event). */
const RECORD_JSON = new WeakMap<ContainerContext, string>();

function recordJson(context: ContainerContext): string {
  let json = RECORD_JSON.get(context);
  if (json === undefined) {
    json = JSON.stringify(containerRecord(context));
    RECORD_JSON.set(context, json);
  }
  return json;
}

function request(effect: ContainerEffect): ContainerEffectRequest {
  return { type: 'container.effect', effect };
}

/** A Kubernetes Event about this container (`fieldPath` its spec entry). */
function about(c: ContainerContext, type: PodEventRecord['type'], reason: string, message: string): PodEventRecord {
  return { type, reason, message, container: c.name, ...(c.init ? { init: true as const } : {}) };
}

/** What the prober of `kind` starts with: the probe, and what is left of its initial delay. */
function proberInput(c: ContainerContext, kind: ProbeKind, event: Event): ProberInput {
  const probe = c.probes[kind]!;
  const startedAt = c.state.kind === 'running' ? c.state.startedAt : undefined;
  return { container: c.name, kind, probe, initialDelayMs: remainingInitialDelayMs(probe, startedAt, timeOf(event)) };
}

/** The probe's result crosses its threshold (`result` `success` passes it, `failure` fails it). */
function probeCrosses(c: ContainerContext, e: Event, kind: ProbeKind, type: 'probe.succeeded' | 'probe.failed'): boolean {
  if (e.type !== type || e.kind !== kind) return false;
  const probe = c.probes[kind];
  return probe !== undefined && thresholdReached(kind, probe, c.probeRuns[kind], resultOf(e));
}

function stopOf(e: Event): EventOf<'container.stop'> | undefined {
  return e.type === 'container.stop' ? e : undefined;
}

function terminatedReason(exitCode: number, oomKilled: boolean): TerminatedReason {
  if (oomKilled) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}

/** The run that just ended (the state record while `restarting?` decides, and once `terminated`). */
function endedRun(c: ContainerContext): TerminatedState {
  if (c.state.kind === 'terminated') return c.state;
  throw new Error(`container ${c.name}: no terminated run to judge`);
}

const base = setup({
  types: {
    context: {} as ContainerContext,
    events: {} as ContainerMachineEvent,
    input: {} as ContainerMachineInput,
  },
  actors: {
    prober: proberMachine,
  },
  delays: {
    crashBackOff: ({ context }) => crashLoopBackOffMs(context.crashes),
    pullBackOff: ({ context }) => backoffDelayMs(context.pullFailures),
    configRetry: CONFIG_RETRY_MS,
  },
  actions: {
    /** Effect: pull if needed, create and start this container (the pod's `startContainer`). */
    startContainer: sendParent(({ context }) => request({ type: 'startContainer', params: { name: context.name } })),
    /** Effect: signal this container (the pod's `stopContainer`). */
    stopContainer: sendParent(({ context }, params: { signal: StopSignal; graceSeconds?: number }) =>
      request({ type: 'stopContainer', params: { name: context.name, ...params } }),
    ),
    /** Effect: record a Kubernetes Event (the pod's `recordEvent`). */
    recordEvent: sendParent((_, params: PodEventRecord) => request({ type: 'recordEvent', params })),
  },
  guards: {
    hasStartupProbe: ({ context }) => context.probes.startup !== undefined,
    hasLivenessProbe: ({ context }) => context.probes.liveness !== undefined,
    hasReadinessProbe: ({ context }) => context.probes.readiness !== undefined,
    isStartupResult: ({ event }) => isProbeFact(event) && event.kind === 'startup',
    isLivenessResult: ({ event }) => isProbeFact(event) && event.kind === 'liveness',
    isReadinessResult: ({ event }) => isProbeFact(event) && event.kind === 'readiness',
    startupProbePasses: ({ context, event }) => probeCrosses(context, event, 'startup', 'probe.succeeded'),
    startupProbeFails: ({ context, event }) => probeCrosses(context, event, 'startup', 'probe.failed'),
    livenessProbeFails: ({ context, event }) => probeCrosses(context, event, 'liveness', 'probe.failed'),
    readinessProbePasses: ({ context, event }) => probeCrosses(context, event, 'readiness', 'probe.succeeded'),
    readinessProbeFails: ({ context, event }) => probeCrosses(context, event, 'readiness', 'probe.failed'),
    /** The pod stopped this container for good: it never starts again. */
    stopRequested: ({ context }) => context.stop !== undefined,
    /** The pod's node is lost: nothing can be signalled. */
    stopCannotSignal: ({ event }) => stopOf(event)?.reason === 'nodeLost',
    stopAfterGrace: ({ event }) => stopOf(event)?.reason === 'graceExpired',
    stopForFailedPod: ({ event }) => stopOf(event)?.reason === 'podFailed',
    /** The pod failed or its node is lost: readiness ends with the stop (a delete keeps probing it). */
    stopEndsReadiness: ({ event }) => {
      const reason = stopOf(event)?.reason;
      return reason === 'podFailed' || reason === 'nodeLost';
    },
    // The restart table (DESIGN.md §4), row by row, on a container's exit.
    /** Always: every exit restarts, 0 or not. */
    restartPolicyAlways: ({ context }) => context.restartPolicy === 'Always',
    /** OnFailure: a non-zero exit or an OOM kill restarts; exit 0 does not. */
    failedUnderOnFailure: ({ context, event }) =>
      context.restartPolicy === 'OnFailure' && event.type === 'container.exited' && (event.exitCode !== 0 || event.oomKilled === true),
    /** A run killed for failing its liveness or startup probe restarts unless the policy is Never. */
    killedByProbe: ({ context }) => context.restartPolicy !== 'Never' && context.unhealthy !== undefined,
    /** It crashed before (within 10 min of running): the restart waits (CrashLoopBackOff). */
    crashLooping: ({ context }) => crashLoopBackOffMs(context.crashes) > 0,
    /** The pod's record of this container is out of date, or a lifecycle report is owed. */
    reportDue: ({ context }) => context.announce !== undefined || recordJson(context) !== context.reported,
  },
});

type Enqueue = Parameters<Parameters<typeof base.enqueueActions>[0]>[0]['enqueue'];

function recordWith(enqueue: Enqueue, record: PodEventRecord): void {
  enqueue({ type: 'recordEvent', params: record });
}

/** An action recording one Event, worded from the context and the event. */
function record(make: (c: ContainerContext, e: Event) => [PodEventRecord['type'], string, string]) {
  return base.enqueueActions(({ context, event, enqueue }) => {
    const [type, reason, message] = make(context, event);
    recordWith(enqueue, about(context, type, reason, message));
  });
}

/** The `stopContainer` effect with this signal (and the grace before SIGKILL, for a probe kill). */
function signalNow(signal: StopSignal, graceSeconds?: number) {
  return { type: 'stopContainer' as const, params: graceSeconds === undefined ? { signal } : { signal, graceSeconds } };
}

const withActions = base.extend({
  actions: {
    // Waiting and starting.
    /** Being created: ContainerCreating (PodInitializing in a pod with init containers, as the kubelet shows it). */
    showCreating: assign(({ context }) => ({
      state: { kind: 'waiting' as const, reason: context.podHasInitContainers === true ? ('PodInitializing' as const) : ('ContainerCreating' as const) },
    })),
    showPullRetry: assign(({ context }) => ({
      state: { kind: 'waiting' as const, reason: 'ErrImagePull' as const, message: `Retrying the pull of image "${context.image}"` },
    })),
    enterStarting: assign({ life: 'waiting' }),
    /** Its configuration could not be built: CreateContainerConfigError, and the kubelet's Event (`Failed`, `Error: …`). */
    enterConfigError: base.enqueueActions(({ context, event, enqueue }) => {
      const message = event.type === 'container.configFailed' ? event.message : '';
      enqueue.assign({ life: 'waiting', configFailures: context.configFailures + 1, state: { kind: 'waiting', reason: 'CreateContainerConfigError', message } });
      recordWith(enqueue, about(context, 'Warning', 'Failed', `Error: ${message}`));
    }),
    recordConfigFailed: record((_, e) => ['Warning', 'Failed', `Error: ${e.type === 'container.configFailed' ? e.message : ''}`]),
    clearConfigFailures: assign({ configFailures: 0 }),
    clearPullFailures: assign({ pullFailures: 0 }),
    countPullFailure: assign(({ context }) => ({ pullFailures: context.pullFailures + 1 })),
    recordPulled: record((c, e) => ['Normal', 'Pulled', (e.type === 'image.pulled' ? e.message : undefined) ?? `Successfully pulled image "${c.image}"`]),
    recordPullFailed: record((c, e) => ['Warning', 'Failed', `Failed to pull image "${c.image}": ${e.type === 'image.pullFailed' ? e.message : ''}`]),
    enterImagePullBackOff: base.enqueueActions(({ context, event, enqueue }) => {
      const why = event.type === 'image.pullFailed' ? event.message : '';
      enqueue.assign({
        life: 'waiting',
        state: { kind: 'waiting', reason: 'ImagePullBackOff', message: `Back-off pulling image "${context.image}": ${why}` },
      });
      const delayS = backoffDelayMs(context.pullFailures) / 1000;
      recordWith(enqueue, about(context, 'Warning', 'BackOff', `Back-off ${delayS}s pulling image "${context.image}"`));
    }),
    recordPulling: record((c) => ['Normal', 'Pulling', `Pulling image "${c.image}"`]),
    assignContainerID: assign(({ context, event }) => ({
      containerID: (event.type === 'container.created' ? event.containerID : undefined) ?? context.containerID,
    })),
    recordCreated: record((c) => ['Normal', 'Created', `Created container ${c.name}`]),

    // Running.
    /** A run started: a restart counts once the container ran before; each run starts over. */
    enterRunning: base.enqueueActions(({ context, event, enqueue }) => {
      const started = event.type === 'container.started' ? event : undefined;
      enqueue.assign({
        life: 'running',
        state: { kind: 'running', startedAt: started?.at ?? 0 },
        restartCount: context.startedOnce ? context.restartCount + 1 : context.restartCount,
        startedOnce: true,
        started: false,
        ready: false,
        probeRuns: {},
        unhealthy: undefined,
        pullFailures: 0,
        containerID: started?.containerID ?? context.containerID,
        announce: { type: 'container.running' },
      });
      recordWith(enqueue, about(context, 'Normal', 'Started', `Started container ${context.name}`));
    }),
    markStarted: assign({ started: true }),
    markNotStarted: assign({ started: false }),
    markReady: assign({ ready: true }),
    markUnready: assign({ ready: false }),
    /** A probe result: counted against its thresholds (an error is not), its Events recorded. */
    countProbeResult: base.enqueueActions(({ context, event, enqueue }) => {
      if (!isProbeFact(event)) return;
      const probe = context.probes[event.kind];
      if (event.type !== 'probe.errored' && probe !== undefined) {
        const run = nextProbeRun(event.kind, probe, context.probeRuns[event.kind], resultOf(event));
        enqueue.assign({ probeRuns: { ...context.probeRuns, [event.kind]: run } });
      }
      for (const r of probeResultEvents(event)) recordWith(enqueue, { ...r, ...(context.init ? { init: true as const } : {}) });
    }),
    raiseStartupPassed: raise(({ event }) => ({ type: 'container.startupPassed' as const, at: timeOf(event) ?? 0 })),
    raiseUnhealthy: raise({ type: 'container.unhealthy' }),
    /** Liveness or startup failed: kill the run with the probe's grace (else the pod's). */
    killUnhealthy: base.enqueueActions(({ context, event, enqueue }) => {
      const kind = isProbeFact(event) && event.kind !== 'readiness' ? event.kind : 'liveness';
      const graceSeconds = context.probes[kind]?.terminationGracePeriodSeconds ?? context.terminationGracePeriodSeconds;
      const restarts = context.restartPolicy !== 'Never';
      enqueue.assign({ unhealthy: kind });
      recordWith(enqueue, about(context, 'Normal', 'Killing', `Container ${context.name} failed ${kind} probe${restarts ? ', will be restarted' : ''}`));
      enqueue(signalNow(graceSeconds > 0 ? 'SIGTERM' : 'SIGKILL', graceSeconds));
    }),

    // Stopped by the pod.
    assignStop: assign(({ context, event }) => {
      const stop = stopOf(event);
      if (!stop) return {};
      const signal = stop.signal ?? context.stop?.signal;
      return { stop: signal === undefined ? { reason: stop.reason } : { reason: stop.reason, signal } };
    }),
    /** The pod is deleted: SIGTERM (SIGKILL with grace 0); its end comes back as an exit. */
    stopForDelete: base.enqueueActions(({ context, event, enqueue }) => {
      const stop = stopOf(event);
      const signal = stop?.signal ?? 'SIGTERM';
      const grace = stop?.graceSeconds ?? context.terminationGracePeriodSeconds;
      recordWith(enqueue, about(context, 'Normal', 'Killing', `Stopping container ${context.name} (${signal}, grace period ${grace}s)`));
      enqueue(signalNow(signal));
    }),
    killAfterGrace: base.enqueueActions(({ context, event, enqueue }) => {
      const grace = stopOf(event)?.graceSeconds ?? context.terminationGracePeriodSeconds;
      recordWith(enqueue, about(context, 'Warning', 'ExceededGracePeriod', `Container ${context.name} did not stop within ${grace}s: sending SIGKILL`));
      enqueue(signalNow('SIGKILL'));
    }),
    /** The pod failed as a whole (its FailedMount or init failure Event says why): SIGKILL. */
    killForFailedPod: base.enqueueActions(({ enqueue }) => enqueue(signalNow('SIGKILL'))),
    /** A start in flight when the pod stopped it landed: stop it again. */
    killLateStart: base.enqueueActions(({ context, enqueue }) => {
      const signal = context.stop?.signal;
      if (signal === undefined) return;
      const why = context.stop?.reason === 'podFailed' ? 'Failed' : 'being deleted';
      recordWith(enqueue, about(context, 'Normal', 'Killing', `Stopping container ${context.name}: the pod is ${why}`));
      enqueue(signalNow(signal));
    }),
    enterStopped: assign({ life: 'done', ready: false, started: false, announce: { type: 'container.changed' } }),
    acknowledgeStop: assign({ announce: { type: 'container.changed' } }),

    // Exits and restarts.
    assignExit: assign(({ context, event }) => {
      if (event.type !== 'container.exited') return {};
      const oomKilled = event.oomKilled ?? false;
      const startedAt = context.state.kind === 'running' ? context.state.startedAt : undefined;
      const terminated: TerminatedState = {
        kind: 'terminated',
        exitCode: event.exitCode,
        reason: terminatedReason(event.exitCode, oomKilled),
        ...(startedAt === undefined ? {} : { startedAt }),
        finishedAt: event.at,
        ...(event.message === undefined ? {} : { message: event.message }),
        // Only an instance that was started has a log: one that failed to start names none.
        ...(startedAt === undefined || context.containerID === undefined ? {} : { containerID: context.containerID }),
      };
      return { state: terminated, ready: false, started: false, probeRuns: {}, startedOnce: true };
    }),
    recordExit: record((c) => {
      const run = endedRun(c);
      if (run.reason === 'OOMKilled') return ['Warning', 'OOMKilled', `Container ${c.name} was OOM-killed (exit code ${run.exitCode})`];
      if (run.reason === 'Error') return ['Warning', 'Error', `Container ${c.name} exited with code ${run.exitCode}`];
      return ['Normal', 'Completed', `Container ${c.name} completed (exit code 0)`];
    }),
    /** The policy restarts it: count the crash; the ended run becomes the last state. */
    countCrash: assign(({ context }) => {
      const run = endedRun(context);
      const ranMs = run.startedAt === undefined ? undefined : run.finishedAt - run.startedAt;
      return {
        life: 'restarting' as const,
        lastState: run,
        crashes: crashesAfterExit(context.crashes, ranMs),
        announce: { type: 'container.terminated' as const, exitCode: run.exitCode, willRestart: true },
      };
    }),
    enterCrashLoopBackOff: base.enqueueActions(({ context, enqueue }) => {
      const delayS = crashLoopBackOffMs(context.crashes) / 1000;
      const { pod } = context;
      const message = `back-off ${delayS}s restarting failed container=${context.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`;
      enqueue.assign({ state: { kind: 'waiting', reason: 'CrashLoopBackOff', message } });
      recordWith(enqueue, about(context, 'Warning', 'BackOff', `Back-off ${delayS}s restarting failed container ${context.name}`));
    }),
    recordRestarting: record((c) => ['Normal', 'Restarting', `Restarting container ${c.name} after back-off`]),
    enterTerminated: assign(({ context }) => ({
      life: 'done' as const,
      announce: { type: 'container.terminated' as const, exitCode: endedRun(context).exitCode, willRestart: false },
    })),

    /** Tell the pod where this container is, with its record (once per settled transition). */
    reportToPod: base.enqueueActions(({ context, event, enqueue }) => {
      const view = containerRecord(context);
      const at = timeOf(event);
      const announce = context.announce ?? { type: 'container.changed' as const };
      enqueue.sendParent({ ...announce, name: context.name, view, ...(at === undefined ? {} : { at }) });
      enqueue.assign({ reported: recordJson(context), announce: undefined });
    }),
  },
});

/**
 * A run ended (or could not start): the restart table (DESIGN.md §4), row by row, decides
 * whether the container is started again; the policy is never consulted once the pod stopped it.
 */
const EXIT = [
  { guard: 'stopRequested', target: '#container.terminated', actions: ['assignExit', 'recordExit'] },
  { guard: 'restartPolicyAlways', target: '#container.restarting', actions: ['assignExit', 'recordExit'] },
  { guard: 'failedUnderOnFailure', target: '#container.restarting', actions: ['assignExit', 'recordExit'] },
  { guard: 'killedByProbe', target: '#container.restarting', actions: ['assignExit', 'recordExit'] },
  { target: '#container.terminated', actions: ['assignExit', 'recordExit'] },
] as const;

/** A prober invoked while its state is active (stopping the state stops it). */
function prober(kind: ProbeKind) {
  return { id: proberId(kind), src: 'prober', input: ({ context, event }: { context: ContainerContext; event: Event }) => proberInput(context, kind, event) } as const;
}

/** A probe result that counts (or errs) without deciding anything. */
function counted(kindGuard: 'isStartupResult' | 'isLivenessResult' | 'isReadinessResult') {
  return { guard: kindGuard, actions: 'countProbeResult' } as const;
}

/**
 * The container machine. Input: `ContainerMachineInput`; the pod spawns one per container with
 * the id `containerActorId(name)`. Its probers run `runProbe`, given with
 * `containerMachine.provide({ actors: { prober: proberMachine.provide({ actors: { runProbe } }) } })`.
 */
export const containerMachine = withActions.createMachine({
  id: 'container',
  context: ({ input }) => initialContainerContext(input),
  initial: 'waiting',
  // Once every transition settled: tell the pod what changed.
  always: { guard: 'reportDue', actions: 'reportToPod' },
  states: {
    /** PodInitializing: not asked to start yet (the sandbox, or an init container before it). */
    waiting: {
      on: {
        'container.start': { target: 'starting', actions: 'showCreating' },
        'container.stop': { target: 'stopped', actions: 'assignStop' },
      },
    },
    /** ContainerCreating (ErrImagePull while a pull is retried): the runtime is asked to start it. */
    starting: {
      entry: ['enterStarting', 'startContainer'],
      on: {
        'image.pulled': { actions: ['clearPullFailures', 'recordPulled'] },
        'image.pullFailed': { target: 'pullBackOff', actions: ['countPullFailure', 'recordPullFailed'] },
        'container.created': { actions: ['assignContainerID', 'recordCreated', 'clearConfigFailures'] },
        'container.configFailed': { target: 'configError' },
        'container.started': { target: 'running' },
        // It could not be created or started (as the kubelet's StartError): judged as an exit.
        'container.exited': EXIT,
        'container.stop': { target: 'stopped.startInFlight', actions: 'assignStop' },
      },
    },
    /** CreateContainerConfigError: built again after the retry period, or at once when a source changed. */
    configError: {
      entry: 'enterConfigError',
      after: { configRetry: 'starting' },
      on: {
        'container.retry': 'starting',
        'container.stop': { target: 'stopped', actions: 'assignStop' },
      },
    },
    /** ImagePullBackOff: the pull is retried after the back-off. */
    pullBackOff: {
      entry: 'enterImagePullBackOff',
      after: { pullBackOff: { target: 'starting', actions: ['showPullRetry', 'recordPulling'] } },
      on: { 'container.stop': { target: 'stopped', actions: 'assignStop' } },
    },
    running: {
      type: 'parallel',
      entry: 'enterRunning',
      on: {
        'container.exited': EXIT,
      },
      states: {
        /** Startup probe, then liveness; a failure kills the run. */
        health: {
          initial: 'checking',
          on: {
            'container.stop': [
              { guard: 'stopCannotSignal', target: '.stopping', actions: 'assignStop' },
              { guard: 'stopAfterGrace', target: '.stopping', actions: ['assignStop', 'killAfterGrace'] },
              { guard: 'stopForFailedPod', target: '.stopping', actions: ['assignStop', 'killForFailedPod'] },
              { target: '.stopping', actions: ['assignStop', 'stopForDelete'] },
            ],
          },
          states: {
            checking: {
              always: [
                { guard: 'stopRequested', target: 'stopping', actions: 'killLateStart' },
                { guard: 'hasStartupProbe', target: 'startingUp' },
                { target: 'live' },
              ],
            },
            /** The startup probe runs; nothing else does. */
            startingUp: {
              entry: 'markNotStarted',
              invoke: prober('startup'),
              on: {
                'probe.succeeded': [
                  { guard: 'startupProbePasses', target: 'live', actions: ['countProbeResult', 'raiseStartupPassed'] },
                  counted('isStartupResult'),
                ],
                'probe.failed': [{ guard: 'startupProbeFails', target: 'unhealthy', actions: 'countProbeResult' }, counted('isStartupResult')],
                'probe.errored': counted('isStartupResult'),
              },
            },
            /** Started: the liveness probe runs, if there is one. */
            live: {
              entry: 'markStarted',
              initial: 'checking',
              states: {
                checking: { always: [{ guard: 'hasLivenessProbe', target: 'probing' }, { target: 'unprobed' }] },
                probing: {
                  invoke: prober('liveness'),
                  on: {
                    'probe.failed': [
                      { guard: 'livenessProbeFails', target: '#container.running.health.unhealthy', actions: 'countProbeResult' },
                      counted('isLivenessResult'),
                    ],
                    'probe.succeeded': counted('isLivenessResult'),
                    'probe.errored': counted('isLivenessResult'),
                  },
                },
                unprobed: {},
              },
            },
            /** Killed for a failed probe: no probe runs until it exits. */
            unhealthy: { entry: ['killUnhealthy', 'raiseUnhealthy'] },
            /** Stopped by the pod: no startup or liveness probe (readiness goes on for a delete). */
            stopping: {},
          },
        },
        /** Ready or not. */
        readiness: {
          initial: 'checking',
          on: {
            'container.unhealthy': '.off',
            'container.stop': { guard: 'stopEndsReadiness', target: '.off' },
          },
          states: {
            checking: {
              always: [
                { guard: 'stopRequested', target: 'off' },
                { guard: 'hasStartupProbe', target: 'awaitingStartup' },
                { target: 'released' },
              ],
            },
            awaitingStartup: { entry: 'markUnready', on: { 'container.startupPassed': 'released' } },
            released: { always: [{ guard: 'hasReadinessProbe', target: 'probed' }, { target: 'ready' }] },
            /** The readiness probe decides. */
            probed: {
              invoke: prober('readiness'),
              initial: 'notReady',
              on: {
                'probe.succeeded': counted('isReadinessResult'),
                'probe.failed': counted('isReadinessResult'),
                'probe.errored': counted('isReadinessResult'),
              },
              states: {
                notReady: {
                  entry: 'markUnready',
                  on: { 'probe.succeeded': { guard: 'readinessProbePasses', target: 'ready', actions: 'countProbeResult' } },
                },
                ready: {
                  entry: 'markReady',
                  on: { 'probe.failed': { guard: 'readinessProbeFails', target: 'notReady', actions: 'countProbeResult' } },
                },
              },
            },
            /** No readiness probe: ready while it runs. */
            ready: { entry: 'markReady' },
            /** Killed, or the pod failed: not ready until it exits. */
            off: { entry: 'markUnready' },
          },
        },
      },
    },
    /** It restarts: at once after its first crash, else after the back-off. */
    restarting: {
      entry: 'countCrash',
      always: [{ guard: 'crashLooping', target: 'backOff' }, { target: 'starting', actions: 'showCreating' }],
    },
    /** CrashLoopBackOff. */
    backOff: {
      entry: 'enterCrashLoopBackOff',
      after: { crashBackOff: { target: 'starting', actions: 'recordRestarting' } },
      on: { 'container.stop': { target: 'stopped', actions: 'assignStop' } },
    },
    /** Exited and will not run again. */
    terminated: {
      entry: 'enterTerminated',
      on: { 'container.stop': { actions: ['assignStop', 'acknowledgeStop'] } },
    },
    /** Stopped by the pod before it ran again: it will not run again. */
    stopped: {
      entry: 'enterStopped',
      initial: 'idle',
      on: { 'container.stop': { actions: ['assignStop', 'acknowledgeStop'] } },
      states: {
        idle: {},
        /** A start was in flight: if it lands, the run is stopped at once. */
        startInFlight: {
          on: {
            'container.started': { target: '#container.running' },
            'container.exited': { target: 'idle', actions: ['assignExit', 'recordExit'] },
            'image.pullFailed': { target: 'idle', actions: 'recordPullFailed' },
            'container.configFailed': { target: 'idle', actions: 'recordConfigFailed' },
          },
        },
      },
    },
  },
});

export type ContainerMachine = typeof containerMachine;
