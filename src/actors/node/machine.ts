/**
 * The node state machine (DESIGN.md §4, Kubernetes' node lifecycle controller): pending
 * (registered, not yet checked) → running → terminated. The state is the one source of truth for
 * reachability and Ready; what the cluster sees follows from it by entry actions:
 *
 * - `running.reachable` (heartbeats arrive; entry takes any `unreachable` taint off) is parallel:
 *   region `daemon` is Ready as the daemon reports it (`ready` True: entry takes `not-ready` off;
 *   `notReady` False: entry taints the node `not-ready`); region `heartbeats` holds the grace
 *   (`arriving` re-enters on each heartbeat, so its `after: notReadyGrace` restarts).
 * - `running.unreachable` (Ready Unknown): entry writes the Unknown conditions and swaps
 *   `not-ready` for `unreachable`; after `podFailGrace` more it is `lost`, whose entry fails the
 *   node's pods (`failPods`: through each pod's own actor, see lost-pods.ts).
 * - `terminated` (the Node was deleted) accepts nothing; entry deletes the node's pods.
 *
 * Each state's entry establishes its whole taint set, whatever the state before (level-based):
 * a new leader's machine starts in `pending`, which touches no taint, and the first state it
 * reaches puts the Node right even if the previous leader left it tainted.
 *
 * Every change of state records an Event (NodeReady, NodeNotReady, NodeLost, RemovingNode). A
 * heartbeat that changes nothing but the heartbeat time records none: it renews, it is not a
 * lifecycle transition. Both graces come from input (flags) and run on the actor's clock.
 */
import { setup, type SnapshotFrom } from 'xstate';
import type { NodeView } from './conditions.ts';
import { nodeConditions } from './conditions.ts';
import { graceEndedAt, initialNodeContext, readyEventMessage, silenceReason, withReport, type NodeContext } from './context.ts';
import type { DaemonReport, NodeEffectParams, NodeEventRecord, NodeMachineEvent, NodeMachineInput } from './events.ts';
import { LIFECYCLE_TAINT_EFFECTS, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './taints.ts';

/** The daemon report an event carries, if it is one. */
function reportOf(event: NodeMachineEvent): DaemonReport | undefined {
  return event.type === 'node.heartbeat' || event.type === 'node.statusReported' ? event : undefined;
}

const base = setup({
  types: {
    context: {} as NodeContext,
    events: {} as NodeMachineEvent,
    input: {} as NodeMachineInput,
  },
  actions: {
    recordEvent: (_, _params: NodeEventRecord) => {},
    writeConditions: (_, _params: NodeEffectParams['writeConditions']) => {},
    taint: (_, _params: NodeEffectParams['taint']) => {},
    untaint: (_, _params: NodeEffectParams['untaint']) => {},
    failPods: (_, _params: NodeEffectParams['failPods']) => {},
    deletePods: (_, _params: NodeEffectParams['deletePods']) => {},
  },
  guards: {
    /** The daemon reports itself healthy (Ready True). */
    reportsReady: ({ event }) => reportOf(event)?.ready === true,
    /** The daemon reports itself unhealthy (Ready False). */
    reportsNotReady: ({ event }) => reportOf(event)?.ready === false,
  },
  delays: {
    notReadyGrace: ({ context }) => context.notReadyGraceMs,
    podFailGrace: ({ context }) => context.podFailGraceMs,
  },
});

const withActions = base.extend({
  actions: {
    /** A heartbeat: its report and time go into the context. */
    applyHeartbeat: base.assign(({ context, event }) => {
      const report = reportOf(event);
      return report ? withReport(context, report, event.type === 'node.heartbeat') : {};
    }),
    /** A master saw the connection close: remembered until the next heartbeat, for the reason. */
    noteConnectionLost: base.assign(({ event }) =>
      event.type === 'node.connectionLost' ? { connectionLost: { at: event.at, master: event.master } } : {},
    ),
    /** Reachable since the heartbeat that entered `running.reachable`. */
    stampReachable: base.assign(({ event }) => {
      const at = reportOf(event)?.at;
      return at === undefined ? {} : { reachableTransitionAt: at };
    }),
    enterReady: base.enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ readyTransitionAt: reportOf(event)?.at ?? context.readyTransitionAt });
      enqueue({ type: 'recordEvent', params: { type: 'Normal', reason: 'NodeReady', message: readyEventMessage(context.name, 'NodeReady') } });
    }),
    enterNotReady: base.enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ readyTransitionAt: reportOf(event)?.at ?? context.readyTransitionAt });
      const why = context.daemonMessage ? ` (${context.daemonMessage})` : '';
      enqueue({ type: 'recordEvent', params: { type: 'Normal', reason: 'NodeNotReady', message: readyEventMessage(context.name, 'NodeNotReady', why) } });
    }),
    taintNotReady: base.enqueueActions(({ context, enqueue }) =>
      enqueue({ type: 'taint', params: { nodeName: context.name, key: TAINT_NODE_NOT_READY, effects: [...LIFECYCLE_TAINT_EFFECTS] } }),
    ),
    untaintNotReady: base.enqueueActions(({ context, enqueue }) =>
      enqueue({ type: 'untaint', params: { nodeName: context.name, key: TAINT_NODE_NOT_READY } }),
    ),
    /**
     * Heartbeats stopped: Ready and Reachable change when the grace ran out (computed, no clock
     * read), the Event is recorded and the Unknown conditions are written (the daemon cannot).
     */
    enterUnreachable: base.enqueueActions(({ context, enqueue }) => {
      const at = graceEndedAt(context);
      const next: NodeContext = { ...context, readyTransitionAt: at, reachableTransitionAt: at };
      enqueue.assign({ readyTransitionAt: at, reachableTransitionAt: at });
      const why = `: ${silenceReason(context)}`;
      enqueue({ type: 'recordEvent', params: { type: 'Normal', reason: 'NodeNotReady', message: readyEventMessage(context.name, 'NodeNotReady', why) } });
      enqueue({ type: 'writeConditions', params: { nodeName: context.name, conditions: nodeConditions(next, { reachability: 'unreachable' }) } });
    }),
    taintUnreachable: base.enqueueActions(({ context, enqueue }) =>
      enqueue({ type: 'taint', params: { nodeName: context.name, key: TAINT_NODE_UNREACHABLE, effects: [...LIFECYCLE_TAINT_EFFECTS] } }),
    ),
    untaintUnreachable: base.enqueueActions(({ context, enqueue }) =>
      enqueue({ type: 'untaint', params: { nodeName: context.name, key: TAINT_NODE_UNREACHABLE } }),
    ),
    /** Unreachable past the second grace: the node's pods are failed, each through its own actor. */
    enterLost: base.enqueueActions(({ context, enqueue }) => {
      const seconds = (context.notReadyGraceMs + context.podFailGraceMs) / 1000;
      const message = `Node ${context.name} unreachable for ${seconds}s: failing its pods`;
      enqueue({ type: 'recordEvent', params: { type: 'Warning', reason: 'NodeLost', message } });
      enqueue({ type: 'failPods', params: { nodeName: context.name } });
    }),
    enterTerminated: base.enqueueActions(({ context, enqueue }) => {
      enqueue({ type: 'recordEvent', params: { type: 'Normal', reason: 'RemovingNode', message: `Removing Node ${context.name} from the cluster` } });
      enqueue({ type: 'deletePods', params: { nodeName: context.name } });
    }),
  },
});

/** A heartbeat to a node not counted reachable: Ready as the daemon reports it. */
const HEARTBEAT_RETURNS = [
  { guard: 'reportsReady', target: '#node.running.reachable.daemon.ready', actions: 'applyHeartbeat' },
  { target: '#node.running.reachable.daemon.notReady', actions: 'applyHeartbeat' },
] as const;

const TERMINATE = { 'node.terminate': { target: '#node.terminated' } } as const;

/**
 * The node machine. Effects (no-op named actions; params: `NodeEffectParams`): `recordEvent`,
 * `writeConditions`, `taint`, `untaint`, `failPods`, `deletePods`, supplied with
 * `nodeMachine.provide({ actions })`. Conditions: `nodeConditions(context, nodeViewOf(snapshot))`.
 */
export const nodeMachine = withActions.createMachine({
  id: 'node',
  context: ({ input }) => initialNodeContext(input),
  initial: 'pending',
  states: {
    // No heartbeat ever (a node added through the API, or whose daemon died before a new leader
    // started watching it): NotReady after the same grace, then its pods fail.
    pending: {
      on: { 'node.heartbeat': HEARTBEAT_RETURNS, ...TERMINATE },
      after: { notReadyGrace: { target: 'running.unreachable' } },
    },
    running: {
      initial: 'reachable',
      on: TERMINATE,
      states: {
        reachable: {
          type: 'parallel',
          entry: ['stampReachable', 'untaintUnreachable'],
          // A hint only: the grace runs on; the hint words the verdict if it runs out.
          on: { 'node.connectionLost': { actions: 'noteConnectionLost' } },
          states: {
            // Ready as the daemon reports it (heartbeats, or its status changing on the Node).
            daemon: {
              initial: 'ready',
              states: {
                ready: {
                  entry: ['enterReady', 'untaintNotReady'],
                  on: {
                    'node.heartbeat': { guard: 'reportsNotReady', target: 'notReady' },
                    'node.statusReported': [{ guard: 'reportsNotReady', target: 'notReady', actions: 'applyHeartbeat' }, { actions: 'applyHeartbeat' }],
                  },
                },
                notReady: {
                  entry: ['enterNotReady', 'taintNotReady'],
                  on: {
                    'node.heartbeat': { guard: 'reportsReady', target: 'ready' },
                    'node.statusReported': [{ guard: 'reportsReady', target: 'ready', actions: 'applyHeartbeat' }, { actions: 'applyHeartbeat' }],
                  },
                },
              },
            },
            // The grace: every heartbeat re-enters `arriving`, which restarts its timer.
            heartbeats: {
              initial: 'arriving',
              states: {
                arriving: {
                  on: { 'node.heartbeat': { target: 'arriving', reenter: true, actions: 'applyHeartbeat' } },
                  after: { notReadyGrace: { target: '#node.running.unreachable' } },
                },
              },
            },
          },
        },
        unreachable: {
          entry: ['enterUnreachable', 'untaintNotReady', 'taintUnreachable'],
          on: { 'node.heartbeat': HEARTBEAT_RETURNS },
          initial: 'grace',
          states: {
            grace: {
              after: { podFailGrace: { target: 'lost' } },
            },
            lost: {
              entry: 'enterLost',
            },
          },
        },
      },
    },
    terminated: {
      type: 'final',
      entry: 'enterTerminated',
    },
  },
});

/** The node machine's type, for the effect layer's `provide`. */
export type NodeMachine = typeof nodeMachine;

/** How the node stands, read off its state: what its conditions render (see conditions.ts). */
export function nodeViewOf(snapshot: SnapshotFrom<NodeMachine>): NodeView {
  if (snapshot.matches({ running: { reachable: { daemon: 'ready' } } })) return { reachability: 'reachable', ready: true };
  if (snapshot.matches({ running: { reachable: { daemon: 'notReady' } } })) return { reachability: 'reachable', ready: false };
  if (snapshot.matches({ running: 'unreachable' })) return { reachability: 'unreachable' };
  return { reachability: 'never' };
}
