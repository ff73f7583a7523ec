/**
 * The node state machine: pending (registered, not yet checked) → running → terminated.
 * While running, heartbeats keep it `reachable`; after `notReadyGrace` without one it is
 * `unreachable` (Ready=Unknown), and after `podFailGrace` more it is `lost`: the named action
 * `failPods` asks the node controller's effect layer to fail its pods. Both graces come from
 * input (flags) and run on the actor's clock. `terminated` accepts nothing; entering it deletes
 * the node's pods.
 *
 * Every change of state or condition records an Event. A heartbeat that changes nothing but the
 * heartbeat time records none: it renews, it is not a lifecycle transition.
 */
import { setup } from 'xstate';
import {
  initialNodeContext,
  onHeartbeat,
  onHeartbeatsMissed,
  onNodeLost,
  type NodeContext,
  type NodeOutcome,
} from './context.ts';
import type { NodeEventRecord, NodeMachineEvent, NodeMachineInput } from './events.ts';

const base = setup({
  types: {
    context: {} as NodeContext,
    events: {} as NodeMachineEvent,
    input: {} as NodeMachineInput,
  },
  actions: {
    recordEvent: (_, _params: NodeEventRecord) => {},
    failPods: (_, _params: { nodeName: string }) => {},
    deletePods: (_, _params: { nodeName: string }) => {},
  },
  delays: {
    notReadyGrace: ({ context }) => context.notReadyGraceMs,
    podFailGrace: ({ context }) => context.podFailGraceMs,
  },
});

type Enqueue = Parameters<Parameters<typeof base.enqueueActions>[0]>[0]['enqueue'];

function enact(enqueue: Enqueue, outcome: NodeOutcome): void {
  enqueue.assign(() => outcome.context);
  for (const params of outcome.events) enqueue({ type: 'recordEvent', params });
}

const withRules = base.extend({
  actions: {
    applyHeartbeat: base.enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'node.heartbeat') enact(enqueue, onHeartbeat(context, event));
    }),
    markUnreachable: base.enqueueActions(({ context, enqueue }) => enact(enqueue, onHeartbeatsMissed(context))),
    markLost: base.enqueueActions(({ context, enqueue }) => {
      enact(enqueue, onNodeLost(context));
      enqueue({ type: 'failPods', params: { nodeName: context.name } });
    }),
    recordRemoval: base.enqueueActions(({ context, enqueue }) =>
      enqueue({ type: 'recordEvent', params: { type: 'Normal', reason: 'RemovingNode', message: `Removing Node ${context.name} from the cluster` } }),
    ),
  },
});

/** What pending and running nodes accept (`terminated` accepts nothing, even as pure logic). */
const ACCEPTED = {
  'node.heartbeat': { target: '#node.running.reachable', reenter: true, actions: 'applyHeartbeat' },
  'node.terminate': { target: '#node.terminated', actions: 'recordRemoval' },
} as const;

/**
 * The node machine. Effects: `recordEvent`, `failPods`, `deletePods` (params: `NodeEffectParams`),
 * supplied with `nodeMachine.provide({ actions })`. Conditions come from `nodeConditions(context)`.
 */
export const nodeMachine = withRules.createMachine({
  id: 'node',
  context: ({ input }) => initialNodeContext(input),
  initial: 'pending',
  states: {
    // No heartbeat ever (a node added through the API, or whose daemon died before a new leader
    // started watching it): NotReady after the same grace, then its pods fail.
    pending: {
      on: ACCEPTED,
      after: { notReadyGrace: { target: 'running.unreachable', actions: 'markUnreachable' } },
    },
    running: {
      initial: 'reachable',
      on: ACCEPTED,
      states: {
        reachable: {
          after: { notReadyGrace: { target: 'unreachable', actions: 'markUnreachable' } },
        },
        unreachable: {
          after: { podFailGrace: { target: 'lost', actions: 'markLost' } },
        },
        lost: {},
      },
    },
    terminated: {
      type: 'final',
      entry: { type: 'deletePods', params: ({ context }) => ({ nodeName: context.name }) },
    },
  },
});

/** The node machine's type, for the effect layer's `provide`. */
export type NodeMachine = typeof nodeMachine;
