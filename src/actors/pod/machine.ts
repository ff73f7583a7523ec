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
 */
import { setup } from 'xstate';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { backoffDelayMs } from './backoff.ts';
import { initialPodContext, type PodContext } from './context.ts';
import type { PodEventRecord, PodMachineEvent, PodMachineInput, StopSignal } from './events.ts';
import { applyPodEvent, hasRunningContainer, onGraceExpired, onSandboxRetry, type Outcome } from './lifecycle.ts';
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

/** Runtime reports that still arrive after the phase is final, kept for the container statuses. */
const BOOKKEEPING_EVENTS = ['container.started', 'container.exited'] as const;

const base = setup({
  types: {
    context: {} as PodContext,
    events: {} as PodMachineEvent,
    input: {} as PodMachineInput,
    output: {} as PodStatus,
  },
  actions: {
    createSandbox: () => {},
    startContainer: (_, _params: { name: string }) => {},
    stopContainer: (_, _params: { name: string; signal: StopSignal }) => {},
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
  },
  delays: {
    sandboxRetry: ({ context }) => backoffDelayMs(context.sandboxFailures),
    terminationGrace: ({ context }) => (context.deletion?.graceSeconds ?? context.terminationGracePeriodSeconds) * 1000,
  },
});

type Enqueue = Parameters<Parameters<typeof base.enqueueActions>[0]>[0]['enqueue'];

/** Turns an outcome of the lifecycle rules into context, timers and effects, then reports status. */
function enact(enqueue: Enqueue, outcome: Outcome): void {
  enqueue.assign(() => outcome.context);
  for (const timer of outcome.timers) {
    if (timer.kind === 'cancel') enqueue.cancel(backoffTimerId(timer.name));
    else enqueue.raise({ type: 'container.backoffElapsed', name: timer.name }, { id: backoffTimerId(timer.name), delay: timer.delayMs });
  }
  for (const effect of outcome.effects) {
    if ('params' in effect) enqueue(effect);
    else enqueue(effect.type);
  }
  enqueue({ type: 'reportStatus', params: { status: podStatus(outcome.context) } });
}

const withRules = base.extend({
  actions: {
    /** Applies the current event through the lifecycle rules (behind the `accepts` guard). */
    applyEvent: base.enqueueActions(({ context, event, enqueue }) => {
      const outcome = applyPodEvent(context, event);
      if (outcome) enact(enqueue, outcome);
    }),
    expireGrace: base.enqueueActions(({ context, enqueue }) => enact(enqueue, onGraceExpired(context))),
    retrySandbox: base.enqueueActions(({ context, enqueue }) => enact(enqueue, onSandboxRetry(context))),
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

const DELETE = {
  'pod.delete': [
    { guard: 'deletionWaits', target: '#pod.terminating', actions: 'applyEvent' },
    { guard: 'accepts', target: '#pod.terminated', actions: 'applyEvent' },
  ],
} as const;

/**
 * The pod machine. Effects are the no-op actions `createSandbox`, `startContainer`,
 * `stopContainer`, `stopSandbox`, `removePod`, `recordEvent`, `reportStatus` (params: `PodEffectParams`);
 * supply them with `podMachine.provide({ actions: { … } })`. Its output, once `terminated`, is the
 * final `PodStatus`.
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
      on: { ...handlers(ACTIVE_EVENTS), ...DELETE },
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
      on: { ...handlers(ACTIVE_EVENTS), ...DELETE },
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
