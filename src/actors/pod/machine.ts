/**
 * The pod state machine: one actor per pod on its node. States mirror the pod phase
 * (pending → running → succeeded | failed) plus deletion (terminating → terminated); the rules
 * that move containers and the phase are the pure functions of `lifecycle.ts`.
 *
 * Timers go through the actor's clock (pass `clock` to `createActor`; tests use `SimulatedClock`):
 * - per-container back-off (CrashLoopBackOff, ImagePullBackOff): a delayed `container.backoffElapsed`
 *   raised with the id `backoff:<container>`. A pod has any number of containers backing off at
 *   once and `after` belongs to a state node, so each container gets its own delayed event;
 * - sandbox retry back-off and the termination grace period: `after` with the named delays
 *   `sandboxRetry` and `terminationGrace`, computed from context.
 *
 * Probes: every probe that should run (`activeProbes`, probe-rules.ts) has a prober child
 * (`prober.ts`, id `probe:<container>:<kind>`), spawned and stopped as each transition changes
 * that set. Probers report each run's result; the guarded `probe.*` transitions here decide:
 * started, ready / not ready, or kill the run.
 */
import { setup } from 'xstate';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { backoffDelayMs } from './backoff.ts';
import { initialPodContext, type PodContext } from './context.ts';
import type { PodEventRecord, PodMachineEvent, PodMachineInput, ProbeFactEvent, StopSignal } from './events.ts';
import { applyPodEvent, hasRunningContainer, onGraceExpired, onSandboxRetry, type Outcome } from './lifecycle.ts';
import {
  activeProbes,
  onProbeCounted,
  onProbeKill,
  onReadinessProbeFailed,
  onReadinessProbePassed,
  onStartupProbePassed,
  probeApplies,
  probeFailureKills,
  readinessProbeFails,
  readinessProbePasses,
  remainingInitialDelayMs,
  startupProbePasses,
} from './probe-rules.ts';
import { proberId, proberMachine } from './prober.ts';
import { podStatus } from './status.ts';

/** The id of a container's back-off timer (for `cancel`). */
function backoffTimerId(container: string): string {
  return `backoff:${container}`;
}

/** Events handled the same way while the pod is pending or running. */
const ACTIVE_EVENTS = [
  'image.pulled',
  'image.pullFailed',
  'container.created',
  'container.started',
  'container.exited',
  'container.backoffElapsed',
  'volume.failed',
  'node.lost',
] as const;

function isProbeFact(e: PodMachineEvent): e is ProbeFactEvent {
  return e.type === 'probe.succeeded' || e.type === 'probe.failed' || e.type === 'probe.errored';
}

/** Runtime reports that still arrive after the phase is final, kept for the container statuses. */
const BOOKKEEPING_EVENTS = ['container.started', 'container.exited'] as const;

const base = setup({
  types: {
    context: {} as PodContext,
    events: {} as PodMachineEvent,
    input: {} as PodMachineInput,
    output: {} as PodStatus,
  },
  actors: {
    prober: proberMachine,
  },
  actions: {
    createSandbox: () => {},
    startContainer: (_, _params: { name: string }) => {},
    stopContainer: (_, _params: { name: string; signal: StopSignal; graceSeconds?: number }) => {},
    removePod: () => {},
    stopSandbox: () => {},
    recordEvent: (_, _params: PodEventRecord) => {},
    reportStatus: (_, _params: { status: PodStatus }) => {},
  },
  guards: {
    /** The lifecycle rules take this event here (it is not stale, duplicate or already done). */
    accepts: ({ context, event }) => applyPodEvent(context, event) !== undefined,
    /** The delete applies and some container must be stopped before the pod is gone. */
    deletionWaits: ({ context, event }) => {
      const outcome = applyPodEvent(context, event);
      return outcome !== undefined && hasRunningContainer(outcome.context);
    },
    isBound: ({ context }) => context.nodeName !== undefined,
    isRunning: ({ context }) => context.phase === 'Running',
    isSucceeded: ({ context }) => context.phase === 'Succeeded',
    isFailed: ({ context }) => context.phase === 'Failed',
    allContainersStopped: ({ context }) => !hasRunningContainer(context),
    killSent: ({ context }) => context.deletion?.killed === true,
    /** The result is about a probe that runs now (probers stopped with their container report nothing). */
    probeApplies: ({ context, event }) => isProbeFact(event) && probeApplies(context, event),
    startupProbePasses: ({ context, event }) => isProbeFact(event) && startupProbePasses(context, event),
    readinessProbePasses: ({ context, event }) => isProbeFact(event) && readinessProbePasses(context, event),
    readinessProbeFails: ({ context, event }) => isProbeFact(event) && readinessProbeFails(context, event),
    /** A liveness or startup probe reached its failure threshold. */
    probeFailureKills: ({ context, event }) => isProbeFact(event) && probeFailureKills(context, event),
  },
  delays: {
    sandboxRetry: ({ context }) => backoffDelayMs(context.sandboxFailures),
    terminationGrace: ({ context }) => (context.deletion?.graceSeconds ?? context.terminationGracePeriodSeconds) * 1000,
  },
});

type Enqueue = Parameters<Parameters<typeof base.enqueueActions>[0]>[0]['enqueue'];

/**
 * Starts and stops probers so that exactly the probes that should run (`activeProbes`) have one.
 * `at` is when the fact happened: a probe's initial delay counts from its container's start.
 */
function reconcileProbers(enqueue: Enqueue, before: PodContext, after: PodContext, at: number | undefined): void {
  after.containers.forEach((c, i) => {
    const was = activeProbes(before, before.containers[i]!);
    const now = activeProbes(after, c);
    for (const kind of was) if (!now.includes(kind)) enqueue.stopChild(proberId(c.name, kind));
    for (const kind of now) {
      if (was.includes(kind)) continue;
      const probe = c.probes[kind]!;
      const startedAt = c.state.kind === 'running' ? c.state.startedAt : undefined;
      const input = { container: c.name, kind, probe, initialDelayMs: remainingInitialDelayMs(probe, startedAt, at) };
      enqueue.spawnChild('prober', { id: proberId(c.name, kind), input });
    }
  });
}

/** What the fact that was applied says about when it happened. */
function timeOf(event: PodMachineEvent): number | undefined {
  return 'at' in event ? event.at : undefined;
}

interface EnactOptions {
  /** When the applied fact happened. */
  at: number | undefined;
  /** False when the outcome changed nothing the status shows. */
  reportStatus?: boolean;
}

/** Turns an outcome of the rules into context, probers, timers and effects, then reports the status. */
function enact(enqueue: Enqueue, before: PodContext, outcome: Outcome, { at, reportStatus = true }: EnactOptions): void {
  enqueue.assign(() => outcome.context);
  reconcileProbers(enqueue, before, outcome.context, at);
  for (const timer of outcome.timers) {
    if (timer.kind === 'cancel') enqueue.cancel(backoffTimerId(timer.name));
    else enqueue.raise({ type: 'container.backoffElapsed', name: timer.name }, { id: backoffTimerId(timer.name), delay: timer.delayMs });
  }
  for (const effect of outcome.effects) {
    if ('params' in effect) enqueue(effect);
    else enqueue(effect.type);
  }
  if (reportStatus) enqueue({ type: 'reportStatus', params: { status: podStatus(outcome.context) } });
}

type ProbeDecision = (context: PodContext, e: ProbeFactEvent) => Outcome;

/**
 * An action enacting a probe decision (behind the guard that chose it). The status is written
 * only when it shows the change: a readiness flip is one write, a result that changes nothing
 * visible (a failure below its threshold, a kill of a run already not ready) none.
 */
function probeAction(decide: ProbeDecision) {
  return base.enqueueActions(({ context, event, enqueue }) => {
    if (!isProbeFact(event)) return;
    const outcome = decide(context, event);
    const visible = JSON.stringify(podStatus(outcome.context)) !== JSON.stringify(podStatus(context));
    enact(enqueue, context, outcome, { at: event.at, reportStatus: visible });
  });
}

const withRules = base.extend({
  actions: {
    /** Applies the current event through the lifecycle rules (behind the `accepts` guard). */
    applyEvent: base.enqueueActions(({ context, event, enqueue }) => {
      const outcome = applyPodEvent(context, event);
      if (outcome) enact(enqueue, context, outcome, { at: timeOf(event) });
    }),
    expireGrace: base.enqueueActions(({ context, enqueue }) => enact(enqueue, context, onGraceExpired(context), { at: undefined })),
    retrySandbox: base.enqueueActions(({ context, enqueue }) => enact(enqueue, context, onSandboxRetry(context), { at: undefined })),
    passStartupProbe: probeAction(onStartupProbePassed),
    markReady: probeAction(onReadinessProbePassed),
    markUnready: probeAction(onReadinessProbeFailed),
    killUnhealthy: probeAction(onProbeKill),
    /** A result below its threshold, or an errored run: counted and recorded. */
    countProbeResult: probeAction(onProbeCounted),
  },
});

const apply = { guard: 'accepts', actions: 'applyEvent' } as const;

function handlers<T extends string>(types: readonly T[]): Record<T, typeof apply> {
  return Object.fromEntries(types.map((type) => [type, apply])) as Record<T, typeof apply>;
}

/** Route to the state of the phase the rules computed. */
const FOLLOW_PHASE = [
  { guard: 'isRunning', target: '#pod.running' },
  { guard: 'isSucceeded', target: '#pod.succeeded' },
  { guard: 'isFailed', target: '#pod.failed' },
] as const;

/** Probe results: the first guard that holds decides (probe-rules.ts); stale results match none. */
const PROBE_RESULTS = {
  'probe.succeeded': [
    { guard: 'startupProbePasses', actions: 'passStartupProbe' },
    { guard: 'readinessProbePasses', actions: 'markReady' },
    { guard: 'probeApplies', actions: 'countProbeResult' },
  ],
  'probe.failed': [
    { guard: 'probeFailureKills', actions: 'killUnhealthy' },
    { guard: 'readinessProbeFails', actions: 'markUnready' },
    { guard: 'probeApplies', actions: 'countProbeResult' },
  ],
  'probe.errored': { guard: 'probeApplies', actions: 'countProbeResult' },
} as const;

const DELETE = {
  'pod.delete': [
    { guard: 'deletionWaits', target: '#pod.terminating', actions: 'applyEvent' },
    { guard: 'accepts', target: '#pod.terminated', actions: 'applyEvent' },
  ],
} as const;

/**
 * The pod machine. Effects are the no-op actions `createSandbox`, `startContainer`,
 * `stopContainer`, `stopSandbox`, `removePod`, `recordEvent`, `reportStatus` (params: `PodEffectParams`);
 * supply them with `podMachine.provide({ actions: { … } })`, and the probe runs with
 * `actors: { prober: proberMachine.provide({ actors: { runProbe } }) }`. Its output, once
 * `terminated`, is the final `PodStatus`.
 */
export const podMachine = withRules.createMachine({
  id: 'pod',
  context: ({ input }) => initialPodContext(input),
  initial: 'pending',
  output: ({ context }) => podStatus(context),
  states: {
    pending: {
      initial: 'scheduling',
      always: FOLLOW_PHASE,
      on: { ...handlers(ACTIVE_EVENTS), ...PROBE_RESULTS, ...DELETE },
      states: {
        scheduling: {
          always: { guard: 'isBound', target: 'creatingSandbox' },
          on: { 'pod.scheduled': { guard: 'accepts', target: 'creatingSandbox', actions: 'applyEvent' } },
        },
        creatingSandbox: {
          entry: 'createSandbox',
          on: {
            'sandbox.created': { target: 'startingContainers', actions: 'applyEvent' },
            'sandbox.failed': { target: 'sandboxBackoff', actions: 'applyEvent' },
          },
        },
        sandboxBackoff: {
          after: {
            sandboxRetry: { target: 'creatingSandbox', actions: 'retrySandbox' },
          },
        },
        startingContainers: {},
      },
    },
    running: {
      always: FOLLOW_PHASE,
      on: { ...handlers(ACTIVE_EVENTS), ...PROBE_RESULTS, ...DELETE },
    },
    // A finished pod keeps its containers (their logs) until it is deleted, but no process:
    // its sandbox is stopped, as the kubelet stops a terminal pod's sandbox.
    succeeded: {
      entry: 'stopSandbox',
      on: { ...handlers(BOOKKEEPING_EVENTS), ...DELETE },
    },
    failed: {
      entry: 'stopSandbox',
      on: { ...handlers(BOOKKEEPING_EVENTS), ...DELETE },
    },
    terminating: {
      initial: 'graceful',
      always: { guard: 'allContainersStopped', target: 'terminated' },
      on: {
        ...handlers(BOOKKEEPING_EVENTS),
        // Readiness probes go on while the containers stop.
        ...PROBE_RESULTS,
        'node.lost': { guard: 'accepts', target: 'terminated', actions: 'applyEvent' },
      },
      states: {
        graceful: {
          // A delete with grace 0 already sent SIGKILL.
          always: { guard: 'killSent', target: 'killing' },
          after: { terminationGrace: { target: 'killing', actions: 'expireGrace' } },
        },
        killing: {},
      },
    },
    terminated: {
      type: 'final',
      entry: 'removePod',
    },
  },
});

/** The pod machine's type, for the effect layer's `provide`. */
export type PodMachine = typeof podMachine;
