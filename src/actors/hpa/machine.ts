/**
 * The HPA's lifecycle as the controller last evaluated it: `steady` (at the desired size),
 * `scalingUp` / `scalingDown` (a rescale was just written), `limited` (the metrics ask for more
 * or fewer than min/max or the rate limit allow) and `failing` (no replica count could be
 * computed: ScalingActive False). Each evaluation is one event; the machine only classifies it
 * (pure, no I/O), so the inspection stream shows every HPA's transitions.
 */
import { assign, setup } from 'xstate';

export type HpaMachineEvent =
  | {
      type: 'hpa.evaluated';
      /** Replicas before this evaluation. */
      currentReplicas: number;
      /** Replicas this evaluation settled on (written when different). */
      desiredReplicas: number;
      /** ScalingLimited was True. */
      limited: boolean;
      at: number;
    }
  | { type: 'hpa.failed'; reason: string; at: number };

export interface HpaMachineContext {
  currentReplicas: number;
  desiredReplicas: number;
  lastEvaluation?: number;
  lastFailure?: string;
}

export const hpaMachine = setup({
  types: { context: {} as HpaMachineContext, events: {} as HpaMachineEvent },
  actions: {
    record: assign(({ event }): Partial<HpaMachineContext> =>
      event.type === 'hpa.evaluated'
        ? { currentReplicas: event.currentReplicas, desiredReplicas: event.desiredReplicas, lastEvaluation: event.at, lastFailure: undefined }
        : { lastEvaluation: event.at, lastFailure: event.reason },
    ),
  },
  guards: {
    scalesUp: ({ event }) => event.type === 'hpa.evaluated' && event.desiredReplicas > event.currentReplicas,
    scalesDown: ({ event }) => event.type === 'hpa.evaluated' && event.desiredReplicas < event.currentReplicas,
    isLimited: ({ event }) => event.type === 'hpa.evaluated' && event.limited,
  },
}).createMachine({
  id: 'hpa',
  context: { currentReplicas: 0, desiredReplicas: 0 },
  initial: 'steady',
  on: {
    'hpa.evaluated': [
      { guard: 'scalesUp', target: '.scalingUp', actions: 'record' },
      { guard: 'scalesDown', target: '.scalingDown', actions: 'record' },
      { guard: 'isLimited', target: '.limited', actions: 'record' },
      { target: '.steady', actions: 'record' },
    ],
    'hpa.failed': { target: '.failing', actions: 'record' },
  },
  states: {
    steady: {},
    scalingUp: {},
    scalingDown: {},
    limited: {},
    failing: {},
  },
});
