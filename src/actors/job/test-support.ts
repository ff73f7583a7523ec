/**
 * Fixtures for the Job and CronJob controller tests: a memory store and Registry, a simulated
 * clock the controllers (and the Registry's timestamps) read and set timers on, and the node's part played by hand (pod phases
 * written through registry.updateStatus).
 */
import { SimulatedClock } from 'xstate';
import type { KubeObject } from '../../api/object.ts';
import { Registry } from '../../registry/registry.ts';
import { memoryRegistry, type MemoryRegistry } from '../replicaset/test-support.ts';
import { PODS } from './effects.ts';

export const NS = 'default';
export const POD_TEMPLATE = { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] } };

export interface Fixture extends MemoryRegistry {
  clock: SimulatedClock;
}

export async function fixture(): Promise<Fixture> {
  const clock = new SimulatedClock();
  clock.set(Date.parse('2024-06-01T00:00:00Z'));
  // Creation and deletion timestamps on the same simulated time the controllers read.
  return { ...(await memoryRegistry(() => new Date(clock.now()))), clock };
}

/** Pods controlled by the object with `uid`. */
export async function podsOwnedBy(registry: Registry, uid: string): Promise<KubeObject[]> {
  return (await registry.list(PODS, NS)).items.filter((p) => (p.metadata?.ownerReferences ?? []).some((r) => r.uid === uid && r.controller === true));
}

export const phaseOf = (pod: KubeObject): unknown => (pod.status as { phase?: unknown } | undefined)?.phase;

/** Running or pending, not terminating. */
export const isLive = (pod: KubeObject): boolean => phaseOf(pod) !== 'Succeeded' && phaseOf(pod) !== 'Failed' && !pod.metadata?.deletionTimestamp;

/** Plays the node: sets the pod's phase. */
export async function setPhase(registry: Registry, pod: KubeObject, phase: 'Running' | 'Succeeded' | 'Failed'): Promise<void> {
  const current = await registry.get(PODS, NS, pod.metadata?.name ?? '');
  await registry.updateStatus(PODS, NS, pod.metadata?.name ?? '', { ...current, status: { ...(current.status as object), phase } });
}
