/**
 * The `node.metrics` message body check, for src/net/messages.ts's guard table: a node's sample
 * must be well formed before the master's store takes it (finite, non-negative numbers).
 */
import type { ContainerUsage, NodeMetricsSample } from './types.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function isContainerUsage(v: unknown): v is ContainerUsage {
  return isObj(v) && typeof v.name === 'string' && isAmount(v.cpuNanoCores) && isAmount(v.memoryBytes);
}

/** Whether `b` is a NodeMetricsSample. */
export function isNodeMetricsSample(b: unknown): b is NodeMetricsSample {
  return (
    isObj(b) &&
    typeof b.node === 'string' &&
    isAmount(b.timestamp) &&
    isAmount(b.windowSeconds) &&
    Array.isArray(b.pods) &&
    b.pods.every((p) => isObj(p) && typeof p.namespace === 'string' && typeof p.name === 'string' && Array.isArray(p.containers) && p.containers.every(isContainerUsage))
  );
}
