/**
 * What a user sees of a ReplicaSet or ReplicationController: `steady`, `scalingUp`,
 * `scalingDown`, or `terminating`. The controller's sync loop (controller.ts) is the logic; after
 * each sync it tells this machine what it observed, and the machine's transitions are published
 * on the InspectionBus (the event stream, the visualizer). Pure: no actions, no clock.
 */
import { assign, setup } from 'xstate';

export interface ReplicaContext {
  desired: number;
  active: number;
}

export type ReplicaEvent =
  /** A sync counted `active` pods against `desired` replicas. */
  | { type: 'replicas.observed'; desired: number; active: number }
  /** The owner was marked for deletion. */
  | { type: 'owner.deleting' };

type Observed = Extract<ReplicaEvent, { type: 'replicas.observed' }>;

export const replicaMachine = setup({
  types: { context: {} as ReplicaContext, events: {} as ReplicaEvent, input: {} as ReplicaContext },
  actions: {
    remember: assign(({ event }) => {
      const e = event as Observed;
      return { desired: e.desired, active: e.active };
    }),
  },
  guards: {
    tooFew: ({ event }) => (event as Observed).active < (event as Observed).desired,
    tooMany: ({ event }) => (event as Observed).active > (event as Observed).desired,
  },
}).createMachine({
  id: 'replicas',
  context: ({ input }) => input,
  initial: 'steady',
  on: {
    'replicas.observed': [
      { guard: 'tooFew', target: '.scalingUp', actions: 'remember' },
      { guard: 'tooMany', target: '.scalingDown', actions: 'remember' },
      { target: '.steady', actions: 'remember' },
    ],
    'owner.deleting': '.terminating',
  },
  states: {
    steady: {},
    scalingUp: {},
    scalingDown: {},
    terminating: { on: { 'replicas.observed': { actions: 'remember' } } },
  },
});

export type ReplicaMachine = typeof replicaMachine;
