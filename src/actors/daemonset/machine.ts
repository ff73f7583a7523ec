/**
 * What a user sees of a DaemonSet: `progressing` (pods missing, not yet available, or on nodes
 * they should leave), `updating` (some nodes still run an old template), `ready` (every node
 * that should run the daemon runs the current template, available), or `terminating`. The
 * controller's sync loop (controller.ts) is the logic; after each sync it tells this machine
 * what it counted, and the machine's transitions go to the InspectionBus (the event stream, the
 * visualizer). Pure: no actions with effects, no clock.
 */
import { assign, setup } from 'xstate';

export interface DaemonSetCounts {
  desired: number;
  updated: number;
  available: number;
  misscheduled: number;
}

export type DaemonSetEvent =
  /** A sync counted the DaemonSet's nodes and pods. */
  | ({ type: 'daemonset.observed' } & DaemonSetCounts)
  /** The DaemonSet was marked for deletion. */
  | { type: 'owner.deleting' };

type Observed = Extract<DaemonSetEvent, { type: 'daemonset.observed' }>;

export const daemonSetMachine = setup({
  types: { context: {} as DaemonSetCounts, events: {} as DaemonSetEvent, input: {} as DaemonSetCounts },
  actions: {
    remember: assign(({ event }) => {
      const e = event as Observed;
      return { desired: e.desired, updated: e.updated, available: e.available, misscheduled: e.misscheduled };
    }),
  },
  guards: {
    outdated: ({ event }) => (event as Observed).updated < (event as Observed).desired,
    settled: ({ event }) => {
      const e = event as Observed;
      return e.available === e.desired && e.misscheduled === 0;
    },
  },
}).createMachine({
  id: 'daemonset',
  context: ({ input }) => input,
  initial: 'progressing',
  on: {
    'daemonset.observed': [
      { guard: 'outdated', target: '.updating', actions: 'remember' },
      { guard: 'settled', target: '.ready', actions: 'remember' },
      { target: '.progressing', actions: 'remember' },
    ],
    'owner.deleting': '.terminating',
  },
  states: {
    progressing: {},
    updating: {},
    ready: {},
    terminating: { on: { 'daemonset.observed': { actions: 'remember' } } },
  },
});

export type DaemonSetMachine = typeof daemonSetMachine;
