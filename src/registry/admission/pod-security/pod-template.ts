/**
 * Where a kind keeps the pod it runs (pod-security-admission's DefaultPodSpecExtractor): a Pod
 * itself, a PodTemplate's template, the workloads' `spec.template`, a CronJob's job template's.
 */
import { isRecord } from '../../../api/object.ts';
import type { PodParts } from './types.ts';

/** `group/kind` of the kinds with a pod template. */
const TEMPLATE_PATHS: Record<string, readonly string[]> = {
  '/PodTemplate': ['template'],
  '/ReplicationController': ['spec', 'template'],
  'apps/ReplicaSet': ['spec', 'template'],
  'apps/Deployment': ['spec', 'template'],
  'apps/DaemonSet': ['spec', 'template'],
  'apps/StatefulSet': ['spec', 'template'],
  'batch/Job': ['spec', 'template'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
};

export function hasPodTemplate(group: string, kind: string): boolean {
  return `${group}/${kind}` in TEMPLATE_PATHS;
}

/** The pod (template) of `obj`, a `group/kind` with one; undefined when the object has none. */
export function podPartsOf(group: string, kind: string, obj: Record<string, unknown>): PodParts | undefined {
  if (group === '' && kind === 'Pod') return { metadata: isRecord(obj.metadata) ? obj.metadata : {}, spec: isRecord(obj.spec) ? obj.spec : {} };
  const path = TEMPLATE_PATHS[`${group}/${kind}`];
  if (!path) return undefined;
  let node: unknown = obj;
  for (const step of path) node = isRecord(node) ? node[step] : undefined;
  if (!isRecord(node)) return undefined;
  return { metadata: isRecord(node.metadata) ? node.metadata : {}, spec: isRecord(node.spec) ? node.spec : {} };
}
