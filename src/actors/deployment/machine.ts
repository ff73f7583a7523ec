/**
 * What a user sees of a Deployment's rollout: `progressing`, `complete`, `paused` or `failed`
 * (ProgressDeadlineExceeded). The controller's sync (controller.ts) is the logic; after each sync
 * it tells this machine what the status says (`rollout.observed`), and the machine's transitions
 * are published on the InspectionBus. Pure: no actions with I/O, no clock.
 *
 * Rules: paused wins over everything (a paused rollout neither progresses nor fails); a
 * Progressing=False/ProgressDeadlineExceeded condition is failed until progress resumes; a
 * complete status (kubectl's `rollout status` test) is complete; anything else is progressing.
 */
import { assign, setup } from 'xstate';

export interface RolloutObservation {
  paused: boolean;
  /** The Progressing condition's reason is ProgressDeadlineExceeded. */
  deadlineExceeded: boolean;
  /** observedGeneration ≥ generation and updated = replicas = available = spec.replicas. */
  complete: boolean;
  revision: number;
  replicas: number;
  updatedReplicas: number;
  availableReplicas: number;
}

export type RolloutContext = RolloutObservation;

export type RolloutEvent = { type: 'rollout.observed' } & RolloutObservation;

export const rolloutMachine = setup({
  types: { context: {} as RolloutContext, events: {} as RolloutEvent, input: {} as RolloutObservation },
  actions: {
    remember: assign(({ event }) => {
      const { type: _type, ...observed } = event;
      return observed;
    }),
  },
  guards: {
    paused: ({ event }) => event.paused,
    failed: ({ event }) => event.deadlineExceeded,
    complete: ({ event }) => event.complete,
  },
}).createMachine({
  id: 'rollout',
  context: ({ input }) => input,
  initial: 'progressing',
  on: {
    'rollout.observed': [
      { guard: 'paused', target: '.paused', actions: 'remember' },
      { guard: 'failed', target: '.failed', actions: 'remember' },
      { guard: 'complete', target: '.complete', actions: 'remember' },
      { target: '.progressing', actions: 'remember' },
    ],
  },
  states: {
    progressing: {},
    complete: {},
    paused: {},
    failed: {},
  },
});

export type RolloutMachine = typeof rolloutMachine;

/** The observation a Deployment's initial machine starts from (nothing seen yet). */
export const NOTHING_OBSERVED: RolloutObservation = {
  paused: false,
  deadlineExceeded: false,
  complete: false,
  revision: 0,
  replicas: 0,
  updatedReplicas: 0,
  availableReplicas: 0,
};
