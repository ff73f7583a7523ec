/**
 * The Deployment machine: what a Deployment's rollout does next, decided here. After every sync
 * the controller tells it what the informers show (`deployment.observed`: the Deployment, the
 * ReplicaSets it controls, which of them still have pods, the time). Guards, in order, choose
 * the state; each state's entry is the effect (Kubernetes' syncDeployment paths):
 *
 * ```
 * invalid                selector selects everything, or maxSurge/maxUnavailable unreadable: a Warning, nothing else
 * terminating            being deleted: status only
 * paused                 spec.paused: scale only (proportionally), clean up history, Progressing=Unknown DeploymentPaused
 * progressing.scaling    spec.replicas changed since the sets were sized: scale only, proportionally
 * complete               every replica updated and available: Progressing=True NewReplicaSetAvailable, clean up history
 * failed                 no progress for progressDeadlineSeconds: Progressing=False ProgressDeadlineExceeded (the rollout goes on)
 * progressing.recreating Recreate: old sets to 0, wait for their pods to go, then the new set
 * progressing.rolling    RollingUpdate: new set up within maxSurge, old sets down within maxUnavailable
 * ```
 *
 * The writes a state makes are planned by the pure Kubernetes paths of plan.ts (rolling.go
 * arithmetic and friends) and made by the invoked actor (`scaleReplicaSets`,
 * `rollOutReplicaSets`, `writeStatus`), which the controller provides; each ends with the
 * status its state chose. While progressing, the machine asks for a sync (`requestSync`) when
 * the progress deadline would pass, so a stalled rollout is seen to fail. Every observation opens
 * a round (controller-kit/rounds.ts) that the effect closes.
 */
import { assign, fromPromise, setup, type ErrorActorEvent } from 'xstate';
import type { KubeObject } from '../../api/object.ts';
import { LabelSelector, type LabelSelectorObject } from '../../api/selectors.ts';
import { NO_ROUND, type RoundContext } from '../controller-kit/rounds.ts';
import { InvalidIntOrPercentError, maxSurge, maxUnavailable } from './fenceposts.ts';
import { deploymentSpec } from './objects.ts';
import { isScalingEvent, planRollout, planScale, planStatusOnly, type DeploymentFacts, type RolloutPlan } from './plan.ts';
import {
  calculateStatus,
  completeStatus,
  deadlineExceededStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  msUntilDeadline,
  progressingStatus,
  statusJson,
  type DeploymentStatus,
} from './status.ts';

/** What one sync saw (the controller adds `round`). */
export interface DeploymentObserved extends DeploymentFacts {
  type: 'deployment.observed';
  round: number;
}

export type DeploymentEvent = DeploymentObserved;

export interface DeploymentMachineInput {
  /** The Deployment's informer key: what `requestSync` queues. */
  key: string;
}

export interface DeploymentContext extends RoundContext, DeploymentMachineInput {
  /** The last observation; undefined before the first. */
  facts: DeploymentObserved | undefined;
}

/** What a state's effect actor gets: the writes, then the status to write (when it differs from the observed one). */
export interface ApplyPlanInput {
  /** The Deployment as observed (the version the writes start from). */
  deployment: KubeObject;
  plan: RolloutPlan;
  status: DeploymentStatus;
  /** Epoch ms of the observation (for conditions the writes may add). */
  now: number;
}

export interface WarningRecord {
  reason: string;
  message: string;
}

// ---- pure: the plans and statuses, memoized per observation (guards and inputs share them) ----

const rollouts = new WeakMap<DeploymentFacts, RolloutPlan>();

/** The rollout plan of this observation (planRollout), computed once. */
function rolloutOf(facts: DeploymentFacts): RolloutPlan {
  let plan = rollouts.get(facts);
  if (!plan) rollouts.set(facts, (plan = planRollout(facts)));
  return plan;
}

/** The counts and Available condition after the rollout's writes (calculateStatus). */
function rolloutCounts(facts: DeploymentFacts): { plan: RolloutPlan; status: DeploymentStatus } {
  const plan = rolloutOf(facts);
  return { plan, status: calculateStatus(plan.deployment, plan.replicaSets, plan.newReplicaSet, facts.now) };
}

function selectorOf(d: KubeObject): LabelSelector {
  return LabelSelector.fromObject(deploymentSpec(d).selector as LabelSelectorObject | undefined);
}

function strategyError(d: KubeObject): InvalidIntOrPercentError | undefined {
  try {
    maxSurge(d);
    maxUnavailable(d);
    return undefined;
  } catch (err) {
    if (err instanceof InvalidIntOrPercentError) return err;
    throw err;
  }
}

type StatusFor = (d: KubeObject, all: readonly KubeObject[], newRS: KubeObject | undefined, now: number) => DeploymentStatus;

function planned(facts: DeploymentFacts | undefined, plan: (f: DeploymentFacts) => RolloutPlan, status: StatusFor): ApplyPlanInput {
  const f = facts as DeploymentFacts;
  const p = plan(f);
  return { deployment: f.deployment, plan: p, status: status(p.deployment, p.replicaSets, p.newReplicaSet, f.now), now: f.now };
}

/** The effect inputs of each state: which plan, which status. */
export const EFFECT_INPUTS = {
  terminating: (f: DeploymentFacts | undefined) => planned(f, planStatusOnly, calculateStatus),
  scaling: (f: DeploymentFacts | undefined) => planned(f, planScale, calculateStatus),
  complete: (f: DeploymentFacts | undefined) => planned(f, rolloutOf, completeStatus),
  failed: (f: DeploymentFacts | undefined) => planned(f, rolloutOf, deadlineExceededStatus),
  progressing: (f: DeploymentFacts | undefined) => planned(f, rolloutOf, progressingStatus),
};

/** Longest timer a real clock can hold (setTimeout's limit). */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Ms until the progress deadline of the status this round writes would pass; undefined when it cannot. */
export function msUntilProgressDeadline(facts: DeploymentFacts | undefined): number | undefined {
  if (!facts) return undefined;
  const { plan, status } = EFFECT_INPUTS.progressing(facts);
  return msUntilDeadline({ ...plan.deployment, status: statusJson(status) }, status, facts.now);
}

const rollOut = (state: 'complete' | 'failed' | 'progressing') => ({
  id: 'rollOutReplicaSets',
  src: 'rollOutReplicaSets' as const,
  input: ({ context }: { context: DeploymentContext }) => EFFECT_INPUTS[state](context.facts),
  onDone: { actions: 'closeRound' as const },
  onError: { actions: 'failRound' as const },
});

const scale = {
  id: 'scaleReplicaSets',
  src: 'scaleReplicaSets' as const,
  input: ({ context }: { context: DeploymentContext }) => EFFECT_INPUTS.scaling(context.facts),
  onDone: { actions: 'closeRound' as const },
  onError: { actions: 'failRound' as const },
};

/** While a rollout progresses: a sync when its deadline would pass (the next observation decides failed or not). */
const DEADLINE_CHECK = { progressDeadline: { guard: 'deadlineCanPass' as const, actions: 'requestSync' as const } };

export const deploymentMachine = setup({
  types: { context: {} as DeploymentContext, events: {} as DeploymentEvent, input: {} as DeploymentMachineInput },
  actors: {
    scaleReplicaSets: fromPromise<void, ApplyPlanInput>(async () => undefined),
    rollOutReplicaSets: fromPromise<void, ApplyPlanInput>(async () => undefined),
    writeStatus: fromPromise<void, ApplyPlanInput>(async () => undefined),
  },
  actions: {
    /** A Warning Event on the Deployment. */
    recordWarning: (_, _params: WarningRecord) => {},
    /** Asks the controller for a sync (a timer passed). */
    requestSync: () => {},
    observe: assign(({ event }) => ({ facts: event, round: event.round, pending: true, roundError: undefined })),
    closeRound: assign({ pending: false, roundError: undefined }),
    failRound: assign(({ event }) => ({ pending: false, roundError: (event as unknown as ErrorActorEvent).error })),
  },
  guards: {
    selectsEverything: ({ event }) => selectorOf(event.deployment).empty,
    strategyInvalid: ({ event }) => strategyError(event.deployment) !== undefined,
    deleting: ({ event }) => Boolean(event.deployment.metadata?.deletionTimestamp),
    paused: ({ event }) => deploymentSpec(event.deployment).paused,
    scalingEvent: ({ event }) => isScalingEvent(event),
    /** util.DeploymentComplete after this sync's writes. */
    rolloutComplete: ({ event }) => {
      const { plan, status } = rolloutCounts(event);
      return deploymentComplete(plan.deployment, status);
    },
    /** util.DeploymentTimedOut, and no progress since the status was last written. */
    progressDeadlineExceeded: ({ event }) => {
      const { plan, status } = rolloutCounts(event);
      return !deploymentProgressing(plan.deployment, status) && deploymentTimedOut(plan.deployment, status, event.now);
    },
    recreate: ({ event }) => deploymentSpec(event.deployment).strategyType === 'Recreate',
    deadlineCanPass: ({ context }) => msUntilProgressDeadline(context.facts) !== undefined,
  },
  delays: {
    // One millisecond past the deadline, so it has passed when the sync looks.
    progressDeadline: ({ context }) => Math.min((msUntilProgressDeadline(context.facts) ?? MAX_DELAY_MS) + 1, MAX_DELAY_MS),
  },
}).createMachine({
  id: 'deployment',
  context: ({ input }) => ({ ...input, ...NO_ROUND, facts: undefined }),
  initial: 'unobserved',
  on: {
    'deployment.observed': [
      {
        guard: 'selectsEverything',
        target: '.invalid',
        actions: ['observe', { type: 'recordWarning', params: { reason: 'SelectingAll', message: 'This deployment is selecting all pods. A non-empty selector is required.' } }, 'closeRound'],
      },
      {
        guard: 'strategyInvalid',
        target: '.invalid',
        actions: ['observe', { type: 'recordWarning', params: ({ event }) => ({ reason: 'InvalidStrategy', message: strategyError(event.deployment)?.message ?? '' }) }, 'closeRound'],
      },
      { guard: 'deleting', target: '.terminating', actions: 'observe' },
      { guard: 'paused', target: '.paused', actions: 'observe' },
      { guard: 'scalingEvent', target: '.progressing.scaling', actions: 'observe' },
      { guard: 'rolloutComplete', target: '.complete', actions: 'observe' },
      { guard: 'progressDeadlineExceeded', target: '.failed', actions: 'observe' },
      { guard: 'recreate', target: '.progressing.recreating', actions: 'observe' },
      { target: '.progressing.rolling', actions: 'observe' },
    ],
  },
  states: {
    unobserved: {},
    invalid: {},
    terminating: {
      invoke: {
        id: 'writeStatus',
        src: 'writeStatus',
        input: ({ context }) => EFFECT_INPUTS.terminating(context.facts),
        onDone: { actions: 'closeRound' },
        onError: { actions: 'failRound' },
      },
    },
    paused: { invoke: scale },
    progressing: {
      // Only entered through a child the guards chose.
      initial: 'rolling',
      states: {
        scaling: { invoke: scale },
        rolling: { invoke: rollOut('progressing'), after: DEADLINE_CHECK },
        recreating: { invoke: rollOut('progressing'), after: DEADLINE_CHECK },
      },
    },
    complete: { invoke: rollOut('complete') },
    failed: { invoke: rollOut('failed') },
  },
});

export type DeploymentMachine = typeof deploymentMachine;
