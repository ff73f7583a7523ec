/** Taints and tolerations, as Kubernetes' `Toleration.ToleratesTaint`. */
import { recordList, type JsonObject } from '../api/object.ts';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export function taintsOf(nodeSpec: JsonObject | undefined): Taint[] {
  return recordList(nodeSpec, 'taints').map((t) => ({
    key: String(t.key ?? ''),
    value: typeof t.value === 'string' ? t.value : undefined,
    effect: String(t.effect ?? ''),
  }));
}

/** Whether one toleration tolerates `taint`. */
export function tolerates(toleration: JsonObject, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== '' && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? 'Equal';
  const key = toleration.key ?? '';
  if (key === '') return operator === 'Exists';
  if (key !== taint.key) return false;
  if (operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** The first of `taints` that none of `tolerations` tolerates (v1helper.FindMatchingUntoleratedTaint): the one rule the filter, the score and NoExecute eviction share. */
export function firstUntolerated(taints: readonly Taint[], tolerations: readonly JsonObject[]): Taint | undefined {
  return taints.find((t) => !tolerations.some((tol) => tolerates(tol, t)));
}

/** `{key: value}`, as kube-scheduler prints an untolerated taint. */
export function formatTaint(taint: Taint): string {
  return `{${taint.key}: ${taint.value ?? ''}}`;
}
