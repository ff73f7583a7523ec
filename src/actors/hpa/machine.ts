/**
 * The HorizontalPodAutoscaler's lifecycle: one actor per HPA decides, from what the controller
 * observed, whether to write a new size, and what the HPA is (Kubernetes' reconcileAutoscaler
 * as a machine).
 *
 * The controller only reads (the HPA, its target's /scale, the usage of the target's pods) and
 * sends `hpa.observed`. The `evaluate` action runs the pure evaluation (replica calculator,
 * stabilization windows, rate limit, min/max: evaluate.ts) against the recommendations this
 * machine keeps; then guards choose:
 *
 *   evaluating ─ evaluationFailed (FailedGetScale, FailedGetResourceMetric: Event) ─▶ reporting
 *              ─ rescaleNeeded ─▶ rescaling (rescale: /scale; SuccessfulRescale or FailedRescale) ─▶ reporting
 *              ──────────────────────────────────────────────────────────────────────▶ reporting
 *   reporting (status composed) ─ statusChanged ─▶ writingStatus (writeStatus) ─▶ settling
 *
 * and the HPA settles, by guards on the evaluation, in `failing` (no replica count could be
 * computed, or the new size could not be written), `scalingUp` / `scalingDown` (a new size was
 * written), `stabilizing` (the metrics ask for a change that a stabilization window holds back:
 * AbleToScale ScaleDownStabilized / ScaleUpStabilized, nothing written), `limited` (at a bound
 * or the rate limit: ScalingLimited True, nothing to write) or `steady`. Each of those waits one
 * sync period on the actor's clock (SimulatedClock in tests), then asks the controller for fresh
 * facts (`requestSync`): the periodic evaluation is this machine's timer.
 *
 * The recommendations of the stabilization windows live in the context: a new leader (a new
 * actor) starts without history, as Kubernetes' does.
 */
import { assign, fromPromise, setup, type ErrorActorEvent } from 'xstate';
import { errorMessage } from '../../api/error-message.ts';
import { jsonEqual, type JsonObject, type KubeObject } from '../../api/object.ts';
import type { EventType } from '../../registry/event-recorder.ts';
import type { Scale } from '../../registry/types.ts';
import { evaluate, unreadableTarget, type Evaluation } from './evaluate.ts';
import { hpaSpec, type ResourceName } from './hpa-spec.ts';
import type { Recommendation } from './normalize.ts';
import type { PodResourceSample } from './replica-calculator.ts';
import { hpaStatus } from './status.ts';

/** Kubernetes' --horizontal-pod-autoscaler-sync-period. */
export const SYNC_PERIOD_MS = 15_000;

/** What the controller read for one evaluation. */
export interface HpaFacts {
  hpa: KubeObject;
  /** Epoch ms (stabilization windows, lastScaleTime). */
  now: number;
  /** The target's /scale, or why it could not be read (FailedGetScale). */
  target: { scale: Scale } | { error: string };
  /** The target's pods with their latest usage, by resource (the spec's Resource metrics). */
  samples: Partial<Record<ResourceName, PodResourceSample[]>>;
}

export type HpaEvent =
  /** The controller read the HPA, its target's scale and its pods' usage. */
  { type: 'hpa.observed'; facts: HpaFacts };

export interface HpaMachineInput {
  namespace?: string;
  name: string;
  syncPeriodMs?: number;
}

export interface HpaContext {
  namespace?: string;
  name: string;
  syncPeriodMs: number;
  facts?: HpaFacts;
  evaluation?: Evaluation;
  /** Past recommendations, oldest first, pruned to the longest window. */
  recommendations: Recommendation[];
  /** When this evaluation wrote a new size (epoch ms). */
  rescaledAt?: number;
  /** The status this evaluation reports. */
  status?: JsonObject;
  /** What an effect of this evaluation failed with (the controller's work queue retries). */
  error?: unknown;
}

/** An Event the machine records on its HPA. */
export interface HpaEventRecord {
  type: EventType;
  reason: string;
  message: string;
}

export interface RescaleInput {
  hpa: KubeObject;
  /** The Scale read for this evaluation (the write is compare-and-swap against it). */
  scale: Scale;
  replicas: number;
}

export interface WriteStatusInput {
  hpa: KubeObject;
  status: JsonObject;
}

/** The tag of the states in which an evaluation's effects run. */
export const BUSY = 'busy';

/** An effect the controller has not provided: the machine is pure until `.provide()`. */
function notProvided<I>(name: string) {
  return fromPromise<void, I>(() => Promise.reject(new Error(`hpa machine: effect ${name} not provided`)));
}

type Args = { context: HpaContext };

function factsOf(context: HpaContext): HpaFacts {
  if (!context.facts) throw new Error('hpa machine: an evaluation without facts');
  return context.facts;
}

function evaluationOf(context: HpaContext): Evaluation {
  if (!context.evaluation) throw new Error('hpa machine: no evaluation');
  return context.evaluation;
}

function rescaleInput({ context }: Args): RescaleInput {
  const { hpa, target } = factsOf(context);
  if (!('scale' in target)) throw new Error('hpa machine: rescale without a scale');
  return { hpa, scale: target.scale, replicas: evaluationOf(context).desiredReplicas };
}

function writeStatusInput({ context }: Args): WriteStatusInput {
  return { hpa: factsOf(context).hpa, status: context.status ?? {} };
}

// The Events, as Kubernetes' HPA controller words them (params of `recordEvent`).

function evaluationFailure({ context }: Args): HpaEventRecord {
  const failure = evaluationOf(context).failure;
  return { type: 'Warning', reason: failure?.reason ?? 'FailedGetResourceMetric', message: failure?.message ?? '' };
}

function successfulRescale({ context }: Args): HpaEventRecord {
  const e = evaluationOf(context);
  return { type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${e.desiredReplicas}; reason: ${e.rescaleReason ?? ''}` };
}

function failedRescale({ context }: Args): HpaEventRecord {
  const e = evaluationOf(context);
  return { type: 'Warning', reason: 'FailedRescale', message: `New size: ${e.desiredReplicas}; reason: ${e.rescaleReason ?? ''}; error: ${errorMessage(context.error)}` };
}

function withAbleToScale(e: Evaluation, status: 'True' | 'False', reason: string, message: string): Evaluation {
  return { ...e, conditions: { ...e.conditions, AbleToScale: { status, reason, message } } };
}

/** The HPA settles here until the next sync period asks for fresh facts. */
const UNTIL_NEXT_SYNC = { after: { syncPeriod: { actions: 'requestSync' as const } } };

export const hpaMachine = setup({
  types: {
    context: {} as HpaContext,
    events: {} as HpaEvent,
    input: {} as HpaMachineInput,
  },
  actors: {
    rescale: notProvided<RescaleInput>('rescale'),
    writeStatus: notProvided<WriteStatusInput>('writeStatus'),
  },
  actions: {
    /** One evaluation of the observed facts against the kept recommendations (evaluate.ts). */
    evaluate: assign(({ context, event }) => {
      const { hpa, target, samples, now } = event.facts;
      const evaluation =
        'error' in target
          ? unreadableTarget(target.error, context.recommendations)
          : evaluate({ spec: hpaSpec(hpa), currentReplicas: target.scale.spec.replicas ?? 0, samples: (t) => samples[t.resource] ?? [], recommendations: context.recommendations, now });
      return { facts: event.facts, evaluation, recommendations: evaluation.recommendations, rescaledAt: undefined, status: undefined, error: undefined };
    }),
    rescaled: assign(({ context }) => ({
      rescaledAt: factsOf(context).now,
      evaluation: withAbleToScale(evaluationOf(context), 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${evaluationOf(context).desiredReplicas}`),
    })),
    rescaleFailed: assign(({ context, event }) => {
      const error = (event as unknown as ErrorActorEvent).error;
      return { error, evaluation: withAbleToScale(evaluationOf(context), 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${errorMessage(error)}`) };
    }),
    composeStatus: assign({ status: ({ context }) => hpaStatus(factsOf(context).hpa, { ...evaluationOf(context), rescaledAt: context.rescaledAt, now: factsOf(context).now }) }),
    effectFailed: assign({ error: ({ event }) => (event as unknown as ErrorActorEvent).error }),
    /** Records an Event on the HPA (provided by the controller). */
    recordEvent: (_, _params: HpaEventRecord) => {},
    /** Ask the controller for fresh facts (it enqueues the HPA's key). */
    requestSync: () => {},
  },
  guards: {
    beingDeleted: ({ event }) => Boolean(event.facts.hpa.metadata?.deletionTimestamp),
    /** No replica count: the target's scale or the metrics could not be read (ScalingActive or AbleToScale False). */
    evaluationFailed: ({ context }) => evaluationOf(context).failure !== undefined,
    rescaleNeeded: ({ context }) => {
      const e = evaluationOf(context);
      return e.rescaleReason !== undefined && e.desiredReplicas !== e.currentReplicas;
    },
    statusChanged: ({ context }) => !jsonEqual(factsOf(context).hpa.status ?? {}, context.status ?? {}),
    failed: ({ context }) => evaluationOf(context).failure !== undefined || context.error !== undefined,
    scaledUp: ({ context }) => context.rescaledAt !== undefined && evaluationOf(context).desiredReplicas > evaluationOf(context).currentReplicas,
    scaledDown: ({ context }) => context.rescaledAt !== undefined && evaluationOf(context).desiredReplicas < evaluationOf(context).currentReplicas,
    /** A stabilization window held the metrics' recommendation back (AbleToScale ScaleDownStabilized / ScaleUpStabilized). */
    stabilized: ({ context }) => {
      const reason = evaluationOf(context).conditions.AbleToScale?.reason;
      return reason === 'ScaleDownStabilized' || reason === 'ScaleUpStabilized';
    },
    /** At min/max or the scale-up rate limit (ScalingLimited True). */
    limited: ({ context }) => evaluationOf(context).conditions.ScalingLimited?.status === 'True',
  },
  delays: {
    syncPeriod: ({ context }) => context.syncPeriodMs,
  },
}).createMachine({
  id: 'hpa',
  context: ({ input }) => ({ namespace: input.namespace, name: input.name, syncPeriodMs: input.syncPeriodMs ?? SYNC_PERIOD_MS, recommendations: [] }),
  initial: 'pending',
  on: {
    'hpa.observed': [{ guard: 'beingDeleted', target: '.terminating' }, { target: '.evaluating', actions: 'evaluate' }],
  },
  states: {
    /** Not evaluated yet. */
    pending: {},
    evaluating: {
      tags: [BUSY],
      always: [
        { guard: 'evaluationFailed', target: 'reporting', actions: { type: 'recordEvent', params: evaluationFailure } },
        { guard: 'rescaleNeeded', target: 'rescaling' },
        { target: 'reporting' },
      ],
    },
    rescaling: {
      tags: [BUSY],
      invoke: {
        id: 'rescale',
        src: 'rescale',
        input: rescaleInput,
        onDone: { target: 'reporting', actions: ['rescaled', { type: 'recordEvent', params: successfulRescale }] },
        onError: { target: 'reporting', actions: ['rescaleFailed', { type: 'recordEvent', params: failedRescale }] },
      },
    },
    reporting: {
      tags: [BUSY],
      entry: 'composeStatus',
      always: [{ guard: 'statusChanged', target: 'writingStatus' }, { target: 'settling' }],
    },
    writingStatus: {
      tags: [BUSY],
      invoke: { id: 'writeStatus', src: 'writeStatus', input: writeStatusInput, onDone: 'settling', onError: { target: 'settling', actions: 'effectFailed' } },
    },
    settling: {
      always: [
        { guard: 'failed', target: 'failing' },
        { guard: 'scaledUp', target: 'scalingUp' },
        { guard: 'scaledDown', target: 'scalingDown' },
        { guard: 'stabilized', target: 'stabilizing' },
        { guard: 'limited', target: 'limited' },
        { target: 'steady' },
      ],
    },
    steady: UNTIL_NEXT_SYNC,
    scalingUp: UNTIL_NEXT_SYNC,
    scalingDown: UNTIL_NEXT_SYNC,
    stabilizing: UNTIL_NEXT_SYNC,
    limited: UNTIL_NEXT_SYNC,
    failing: UNTIL_NEXT_SYNC,
    /** Final: the HPA is being deleted; the actor takes nothing more. */
    terminating: { type: 'final', on: { 'hpa.observed': {} } },
  },
});

export type HpaMachine = typeof hpaMachine;
