/** What the node machine remembers, and the pure rules that change it. */
import type { NodeEventRecord, NodeMachineEvent, NodeMachineInput, ResourceList } from './events.ts';

export interface NodeContext {
  name: string;
  notReadyGraceMs: number;
  podFailGraceMs: number;
  /** Heartbeats arrive; `undefined` until the node was first checked. */
  reachable?: boolean;
  /** The daemon's own health from its last heartbeat. */
  daemonReady?: boolean;
  daemonMessage?: string;
  lastHeartbeatAt?: number;
  /** When the actor started watching the node; the first grace runs from here. */
  registeredAt?: number;
  /** When the Ready and Reachable conditions last changed status. */
  readyTransitionAt?: number;
  reachableTransitionAt?: number;
  capacity: ResourceList;
  allocatable: ResourceList;
}

/** Kubernetes condition status. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export function initialNodeContext(input: NodeMachineInput): NodeContext {
  return {
    name: input.name,
    notReadyGraceMs: input.notReadyGraceMs,
    podFailGraceMs: input.podFailGraceMs,
    registeredAt: input.registeredAt,
    capacity: {},
    allocatable: {},
  };
}

/** Ready: True when heartbeats arrive and the daemon is healthy, Unknown when they stopped. */
export function readyStatus(context: NodeContext): ConditionStatus {
  if (context.reachable !== true) return 'Unknown';
  return context.daemonReady ? 'True' : 'False';
}

/** What one rule did: the next context and the events it records. */
export interface NodeOutcome {
  context: NodeContext;
  events: NodeEventRecord[];
}

/** Stamps condition transition times and records the Ready change, if any. */
function settle(before: NodeContext, after: NodeContext, at: number, why: string): NodeOutcome {
  const ready = readyStatus(after);
  // A node that never posted status and is now given up on changes Ready's reason
  // (NodeStatusNeverUpdated → NodeStatusUnknown): a transition, with its time and Event.
  const readyChanged = ready !== readyStatus(before) || (before.reachable === undefined && after.reachable === false);
  const next: NodeContext = {
    ...after,
    readyTransitionAt: readyChanged ? at : after.readyTransitionAt,
    reachableTransitionAt: after.reachable !== before.reachable ? at : after.reachableTransitionAt,
  };
  if (!readyChanged) return { context: next, events: [] };
  const reason = ready === 'True' ? 'NodeReady' : 'NodeNotReady';
  return { context: next, events: [{ type: 'Normal', reason, message: `Node ${after.name} status is now: ${reason}${why}` }] };
}

/** A heartbeat: the node is reachable and reports its health and resources. */
export function onHeartbeat(context: NodeContext, e: Extract<NodeMachineEvent, { type: 'node.heartbeat' }>): NodeOutcome {
  const next: NodeContext = {
    ...context,
    reachable: true,
    daemonReady: e.ready,
    daemonMessage: e.ready ? undefined : e.message,
    lastHeartbeatAt: e.at,
    capacity: e.capacity,
    allocatable: e.allocatable,
  };
  return settle(context, next, e.at, e.ready || !e.message ? '' : ` (${e.message})`);
}

/** The moment the grace without heartbeats ran out (deterministic: no clock read). */
function graceEndedAt(context: NodeContext, graceMs: number): number {
  return (context.lastHeartbeatAt ?? context.registeredAt ?? 0) + graceMs;
}

/** No heartbeat within the grace: Ready becomes Unknown. */
export function onHeartbeatsMissed(context: NodeContext): NodeOutcome {
  const at = graceEndedAt(context, context.notReadyGraceMs);
  return settle(context, { ...context, reachable: false }, at, `: no heartbeat for ${context.notReadyGraceMs / 1000}s`);
}

/** Unreachable past the second grace: its pods are failed. */
export function onNodeLost(context: NodeContext): NodeOutcome {
  const seconds = (context.notReadyGraceMs + context.podFailGraceMs) / 1000;
  return {
    context,
    events: [{ type: 'Warning', reason: 'NodeLost', message: `Node ${context.name} unreachable for ${seconds}s: failing its pods` }],
  };
}
