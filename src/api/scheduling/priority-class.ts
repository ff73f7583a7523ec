/**
 * PriorityClass (scheduling.k8s.io/v1), as Kubernetes' `pkg/apis/scheduling`: the two system
 * classes every cluster has, the highest value a user may give, and the class's validation.
 * The Priority admission plugin (src/registry/admission/priority.ts) resolves a pod's
 * `priorityClassName` to `spec.priority` with these.
 */
import { forbidden, invalid, notSupported, required, type FieldError } from '../field.ts';
import type { KubeObject } from '../object.ts';

export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
/** HighestUserDefinablePriority: values above are the system classes'. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** SystemCriticalPriority. */
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
export const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'] as const;
export const DEFAULT_PREEMPTION_POLICY = 'PreemptLowerPriority';

/** scheduling.SystemPriorityClasses(): the classes the API server creates at start. */
export const SYSTEM_PRIORITY_CLASSES: readonly { name: string; value: number; description: string }[] = [
  { name: 'system-node-critical', value: SYSTEM_CRITICAL_PRIORITY + 1000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: SYSTEM_CRITICAL_PRIORITY, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

/** The stored form of a system class. */
export function systemPriorityClass(name: string): KubeObject | undefined {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  return known && { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: known.name }, value: known.value, description: known.description, preemptionPolicy: DEFAULT_PREEMPTION_POLICY };
}

/** ValidatePriorityClass. */
export function validatePriorityClass(pc: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = pc.metadata?.name ?? '';
  if (pc.value === undefined || pc.value === null) errs.push(required('value'));
  else if (typeof pc.value !== 'number' || !Number.isInteger(pc.value)) errs.push(invalid('value', pc.value, 'must be an integer'));
  else if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
    let why = '';
    if (!known) why = `${name} is not a known system priority class`;
    else if (known.value !== pc.value) why = `value of ${name} PriorityClass must be ${known.value}`;
    else if (pc.globalDefault === true) why = `globalDefault of ${name} PriorityClass must be false`;
    if (why) errs.push(forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`));
  } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (pc.preemptionPolicy !== undefined && !(PREEMPTION_POLICIES as readonly unknown[]).includes(pc.preemptionPolicy)) errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
  return errs;
}

/** ValidatePriorityClassUpdate: value and preemptionPolicy cannot change. */
export function validatePriorityClassUpdate(old: KubeObject, pc: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (old.value !== pc.value) errs.push(forbidden('value', 'may not be changed in an update.'));
  if ((old.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY) !== (pc.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY)) errs.push(invalid('preemptionPolicy', pc.preemptionPolicy, 'field is immutable'));
  return errs;
}
