/**
 * The node's conditions in Kubernetes NodeCondition shape, from what the machine's state says
 * (reachability, Ready) and what its context remembers (times, the daemon's message).
 */
import type { NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { silenceReason, type ConditionStatus, type NodeContext } from './context.ts';

const capitalised = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * How the node stands, read off the machine's state (`nodeViewOf` in machine.ts):
 * `never` (no heartbeat yet), `reachable` with Ready True/False, or `unreachable` (Ready Unknown).
 */
export type NodeView =
  | { reachability: 'never' }
  | { reachability: 'reachable'; ready: boolean }
  | { reachability: 'unreachable' };

/** The Ready condition's status for a view. */
export function readyStatusOf(view: NodeView): ConditionStatus {
  if (view.reachability !== 'reachable') return 'Unknown';
  return view.ready ? 'True' : 'False';
}

function times(heartbeatAt: number | undefined, transitionAt: number | undefined) {
  return {
    ...(heartbeatAt === undefined ? {} : { lastHeartbeatTime: toKubernetesTime(heartbeatAt) }),
    ...(transitionAt === undefined ? {} : { lastTransitionTime: toKubernetesTime(transitionAt) }),
  };
}

function readyCondition(context: NodeContext, view: NodeView): NodeCondition {
  const base = { type: 'Ready', status: readyStatusOf(view), ...times(context.lastHeartbeatAt, context.readyTransitionAt) };
  switch (view.reachability) {
    case 'never':
      return { ...base, reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' };
    case 'unreachable':
      return { ...base, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };
    case 'reachable':
      return view.ready
        ? { ...base, reason: 'KubeletReady', message: 'kubelet is posting ready status' }
        : { ...base, reason: 'KubeletNotReady', message: context.daemonMessage ?? 'node daemon is not ready' };
  }
}

/** kactus' own condition: whether heartbeats arrive (Kubernetes folds this into Ready=Unknown). */
function reachableCondition(context: NodeContext, view: NodeView): NodeCondition {
  const base = times(context.lastHeartbeatAt, context.reachableTransitionAt);
  switch (view.reachability) {
    case 'never':
      return { type: 'Reachable', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'No heartbeat received yet.', ...base };
    case 'reachable':
      return { type: 'Reachable', status: 'True', reason: 'HeartbeatsArriving', message: 'Heartbeats arrive.', ...base };
    case 'unreachable':
      return context.connectionLost
        ? { type: 'Reachable', status: 'False', reason: 'ConnectionLost', message: `${capitalised(silenceReason(context))}.`, ...base }
        : { type: 'Reachable', status: 'False', reason: 'HeartbeatsMissing', message: `No heartbeat for ${context.notReadyGraceMs / 1000}s.`, ...base };
  }
}

/**
 * The node's conditions: `Ready` (True/False/Unknown, reasons KubeletReady, KubeletNotReady,
 * NodeStatusUnknown, NodeStatusNeverUpdated) then `Reachable`.
 */
export function nodeConditions(context: NodeContext, view: NodeView): NodeCondition[] {
  return [readyCondition(context, view), reachableCondition(context, view)];
}

/** The parts of NodeStatus the machine knows: conditions, and capacity/allocatable as reported. */
export function nodeStatus(context: NodeContext, view: NodeView): Pick<NodeStatus, 'conditions' | 'capacity' | 'allocatable'> {
  return { conditions: nodeConditions(context, view), capacity: context.capacity, allocatable: context.allocatable };
}

/**
 * The conditions one heartbeat implies (what a master's gateway writes, as the kubelet writes its
 * own Ready): reachable, Ready as the daemon reports, both stamped at the heartbeat.
 */
export function heartbeatConditions(name: string, report: { at: number; ready: boolean; message?: string }): NodeCondition[] {
  const context: NodeContext = {
    name,
    notReadyGraceMs: 0,
    podFailGraceMs: 0,
    daemonMessage: report.ready ? undefined : report.message,
    lastHeartbeatAt: report.at,
    readyTransitionAt: report.at,
    reachableTransitionAt: report.at,
    capacity: {},
    allocatable: {},
  };
  return nodeConditions(context, { reachability: 'reachable', ready: report.ready });
}
