/**
 * What the node machine remembers besides its state, and the pure helpers its actions call.
 * Reachability and Ready are NOT here: the machine's state is their one source
 * (`pending`: never heard from; `running.reachable.daemon.{ready,notReady}`: Ready True/False;
 * `running.unreachable`: Ready Unknown). The context keeps what the conditions print with them.
 */
import type { DaemonReport, NodeMachineInput, ResourceList } from './events.ts';

export interface NodeContext {
  name: string;
  notReadyGraceMs: number;
  podFailGraceMs: number;
  /** Why the daemon said it is not ready, from its last report (undefined when it is ready). */
  daemonMessage?: string;
  lastHeartbeatAt?: number;
  /** When the actor started watching the node; the first grace runs from here. */
  registeredAt?: number;
  /** When the Ready and Reachable conditions last changed status (stamped by entry actions). */
  readyTransitionAt?: number;
  reachableTransitionAt?: number;
  capacity: ResourceList;
  allocatable: ResourceList;
  /**
   * A master saw the node's connection close since its last heartbeat (the hint reported when the
   * node goes unreachable); cleared by the next heartbeat.
   */
  connectionLost?: { at: number; master: string };
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

/** What a daemon report (heartbeat or status) changes in the context. */
export function withReport(context: NodeContext, report: DaemonReport, heartbeat: boolean): NodeContext {
  return {
    ...context,
    daemonMessage: report.ready ? undefined : report.message,
    capacity: report.capacity,
    allocatable: report.allocatable,
    ...(heartbeat ? { lastHeartbeatAt: report.at, connectionLost: undefined } : {}),
  };
}

/** Why heartbeats stopped, as far as the masters saw: words for the NodeNotReady Event and Reachable. */
export function silenceReason(context: NodeContext): string {
  const seconds = context.notReadyGraceMs / 1000;
  const lost = context.connectionLost;
  if (!lost) return `no heartbeat for ${seconds}s`;
  const who = lost.master ? `master ${lost.master}` : 'its master';
  return `no heartbeat for ${seconds}s; its connection to ${who} closed at ${new Date(lost.at).toISOString()}`;
}

/** The moment the grace without heartbeats ran out (deterministic: no clock read). */
export function graceEndedAt(context: NodeContext): number {
  return (context.lastHeartbeatAt ?? context.registeredAt ?? 0) + context.notReadyGraceMs;
}

/** The NodeReady / NodeNotReady Event message, as Kubernetes' node lifecycle controller words it. */
export function readyEventMessage(name: string, reason: 'NodeReady' | 'NodeNotReady', why = ''): string {
  return `Node ${name} status is now: ${reason}${why}`;
}
