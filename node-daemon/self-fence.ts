/**
 * Self-fencing: a node that no master has counted alive for its self-fence period stops every
 * pod itself, so that by the time the masters fail its pods (and controllers replace them on
 * other nodes) nothing of them runs here — a StatefulSet identity never runs twice. The period
 * comes from the masters (each heartbeat acknowledgement carries it: their graces less a stop
 * budget and a margin, src/actors/node/fencing.ts); until a master has acknowledged a renewal
 * the fence is not armed (a daemon that never joined has no pods to stop).
 *
 * ```
 * unarmed ──lease.renewed──▶ armed ──after the deadline──▶ fenced (entry: fence)
 *                              ▲ └──lease.renewed (re-entered: a new deadline)      │
 *                              └────────────────lease.renewed───────────────────────┘
 * ```
 *
 * The deadline is counted from when the acknowledged heartbeat was SENT (the sender computes
 * `remainingMs` = sentAt + period − now on its monotonic clock), never from when the answer came.
 */
import { assign, setup } from 'xstate';

export interface SelfFenceContext {
  /** Time left before fencing, as of the last renewal. */
  remainingMs: number;
  /** The period that renewal announced (for the fence's message). */
  fenceAfterMs: number;
}

export type SelfFenceEvent =
  /** A master acknowledged a heartbeat as renewing the node's Lease. */
  { type: 'lease.renewed'; remainingMs: number; fenceAfterMs: number };

export const selfFenceMachine = setup({
  types: {
    context: {} as SelfFenceContext,
    events: {} as SelfFenceEvent,
  },
  actions: {
    /** Stop every pod of the node (the daemon provides it: PodWorkers.fence). */
    fence: (_, _params: { fenceAfterMs: number }) => {},
    /** A master counts the node alive again after a fence (a log line). */
    recovered: () => {},
    /** The renewal's deadline and period. */
    rearm: assign(({ event }) => ({ remainingMs: event.remainingMs, fenceAfterMs: event.fenceAfterMs })),
  },
  delays: {
    deadline: ({ context }) => Math.max(0, context.remainingMs),
  },
}).createMachine({
  id: 'selfFence',
  context: { remainingMs: 0, fenceAfterMs: 0 },
  initial: 'unarmed',
  on: {
    'lease.renewed': {
      target: '.armed',
      reenter: true,
      actions: 'rearm',
    },
  },
  states: {
    unarmed: {},
    armed: {
      after: { deadline: 'fenced' },
    },
    fenced: {
      entry: { type: 'fence', params: ({ context }) => ({ fenceAfterMs: context.fenceAfterMs }) },
      on: {
        'lease.renewed': {
          target: 'armed',
          actions: ['rearm', 'recovered'],
        },
      },
    },
  },
});
