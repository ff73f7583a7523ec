/**
 * The pod status rule kactus adds to Kubernetes' `ValidatePodStatusUpdate`: a pod's phase never
 * leaves Succeeded or Failed (DESIGN.md §3). Kubernetes' apiserver checks the same thing per
 * container (`status.containerStatuses[i].state: Forbidden: may not be transitioned to
 * non-terminated state`) and leaves the pod phase to the kubelet, which refuses such a change
 * itself ("Pod attempted illegal phase transition"); here the API refuses it too, so no writer
 * (a node that comes back, a stale resend, a client) can revive a finished pod.
 */
import { forbidden, type FieldError } from '../field.ts';
import { optionalRecord, type KubeObject } from '../object.ts';

/** Pod phases no status update may leave. */
export const TERMINAL_POD_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

function phaseOf(pod: KubeObject): string | undefined {
  const phase = optionalRecord(pod, 'status')?.phase;
  return typeof phase === 'string' ? phase : undefined;
}

/** Whether the stored pod has finished (phase Succeeded or Failed). */
export function isTerminalPod(pod: KubeObject): boolean {
  return TERMINAL_POD_PHASES.has(phaseOf(pod) ?? '');
}

/**
 * `status.phase` Forbidden when the stored phase is terminal and the new one differs
 * (Failed → Running, Failed → Succeeded, Succeeded → Pending, or a phase removed).
 */
export function validatePodPhaseTransition(oldPod: KubeObject, newPod: KubeObject): FieldError[] {
  const from = phaseOf(oldPod);
  const to = phaseOf(newPod);
  if (from === undefined || !TERMINAL_POD_PHASES.has(from) || to === from) return [];
  return [forbidden('status.phase', `may not be transitioned from terminal phase ${from} to ${to ?? '""'}`)];
}
