/** The node machine's context rendered as Kubernetes NodeStatus parts. */
import type { NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { toKubernetesTime } from '../../api/kubernetes-time.ts';
import { readyStatus, type NodeContext } from './context.ts';

function times(heartbeatAt: number | undefined, transitionAt: number | undefined) {
  return {
    ...(heartbeatAt === undefined ? {} : { lastHeartbeatTime: toKubernetesTime(heartbeatAt) }),
    ...(transitionAt === undefined ? {} : { lastTransitionTime: toKubernetesTime(transitionAt) }),
  };
}

function readyCondition(context: NodeContext): NodeCondition {
  const status = readyStatus(context);
  const base = { type: 'Ready', status, ...times(context.lastHeartbeatAt, context.readyTransitionAt) };
  if (context.reachable === undefined) return { ...base, reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' };
  if (!context.reachable) return { ...base, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };
  if (status === 'True') return { ...base, reason: 'KubeletReady', message: 'kubelet is posting ready status' };
  return { ...base, reason: 'KubeletNotReady', message: context.daemonMessage ?? 'node daemon is not ready' };
}

/** kactus' own condition: whether heartbeats arrive (Kubernetes folds this into Ready=Unknown). */
function reachableCondition(context: NodeContext): NodeCondition {
  const base = times(context.lastHeartbeatAt, context.reachableTransitionAt);
  if (context.reachable === undefined) {
    return { type: 'Reachable', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'No heartbeat received yet.', ...base };
  }
  return context.reachable
    ? { type: 'Reachable', status: 'True', reason: 'HeartbeatsArriving', message: 'Heartbeats arrive.', ...base }
    : { type: 'Reachable', status: 'False', reason: 'HeartbeatsMissing', message: `No heartbeat for ${context.notReadyGraceMs / 1000}s.`, ...base };
}

/**
 * The node's conditions in Kubernetes NodeCondition shape: `Ready` (True/False/Unknown, reasons
 * KubeletReady, KubeletNotReady, NodeStatusUnknown, NodeStatusNeverUpdated) then `Reachable`.
 */
export function nodeConditions(context: NodeContext): NodeCondition[] {
  return [readyCondition(context), reachableCondition(context)];
}

/** The parts of NodeStatus the machine knows: conditions, and capacity/allocatable as reported. */
export function nodeStatus(context: NodeContext): Pick<NodeStatus, 'conditions' | 'capacity' | 'allocatable'> {
  return { conditions: nodeConditions(context), capacity: context.capacity, allocatable: context.allocatable };
}
