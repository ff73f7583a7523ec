/**
 * Which of a Deployment's ReplicaSets is the new one and which are old, the new one as it is
 * first created, and the annotations it carries (Kubernetes' util: FindNewReplicaSet,
 * FindOldReplicaSets, MaxRevision, SetNewReplicaSetAnnotations, SetReplicasAnnotations). Pure.
 */
import type { JsonObject, KubeObject } from '../../api/object.ts';
import { isRecord } from '../../api/object.ts';
import { controllerRefTo } from '../controller-kit/owner-refs.ts';
import { annotationsOf, ANNOTATIONS_NOT_COPIED, byCreation, creationMs, deploymentSpec, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REPLICA_SETS, revisionOf, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, specReplicas, statusNumber, DEPLOYMENTS } from './objects.ts';
import type { ProportionalSet } from './proportional.ts';
import type { ReplicaCounts } from './rolling.ts';
import { computeTemplateHash, equalIgnoringHash } from './template-hash.ts';
import { apiVersionOf } from '../../api/kinds.ts';

const templateOf = (rs: KubeObject): JsonObject => (isRecord(rs.spec) && isRecord(rs.spec.template) ? rs.spec.template : {});

/** FindNewReplicaSet: the oldest set whose template equals the Deployment's (hash label aside). */
export function findNewReplicaSet(d: KubeObject, sets: readonly KubeObject[]): KubeObject | undefined {
  const template = deploymentSpec(d).template;
  return [...sets].sort(byCreation).find((rs) => equalIgnoringHash(templateOf(rs), template));
}

/** Highest revision among `sets` (0 when none has one). */
export function maxRevision(sets: readonly KubeObject[]): number {
  return sets.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** A set's counts for the rollout arithmetic. */
export function countsOf(rs: KubeObject): ProportionalSet & ReplicaCounts {
  const a = annotationsOf(rs);
  const int = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  return {
    name: rs.metadata?.name ?? '',
    replicas: specReplicas(rs),
    available: statusNumber(rs, 'availableReplicas'),
    createdMs: creationMs(rs),
    maxReplicasAnnotation: int(a[MAX_REPLICAS_ANNOTATION]),
    desiredAnnotation: int(a[DESIRED_REPLICAS_ANNOTATION]),
  };
}

/** SetReplicasAnnotations: records desired and max replicas; true when either changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  const changed = annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || annotations[MAX_REPLICAS_ANNOTATION] !== String(max);
  annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
  annotations[MAX_REPLICAS_ANNOTATION] = String(max);
  return changed;
}

/**
 * SetNewReplicaSetAnnotations on `annotations` (mutated): the Deployment's own annotations, the
 * revision raised to `newRevision` when lower (a reused set keeps its earlier revisions in
 * revision-history: that is a rollback), and, for a set about to be created, replica annotations.
 * True when anything changed.
 */
export function setNewReplicaSetAnnotations(d: KubeObject, annotations: Record<string, string>, newRevision: number, exists: boolean, maxReplicas: number): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(annotationsOf(d))) {
    if (ANNOTATIONS_NOT_COPIED.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  const had = annotations[REVISION_ANNOTATION];
  const old = Number(had ?? 0) || 0;
  if (old < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (had !== undefined) {
      const history = annotations[REVISION_HISTORY_ANNOTATION];
      annotations[REVISION_HISTORY_ANNOTATION] = history ? `${history},${had}` : had;
    }
  }
  if (!exists && setReplicasAnnotations(annotations, deploymentSpec(d).replicas, maxReplicas)) changed = true;
  return changed;
}

/**
 * The new ReplicaSet for `d`'s current template: named `<deployment>-<hash>`, the hash label
 * added to its selector and template, controlled by `d`.
 */
export function newReplicaSetFor(d: KubeObject, replicas: number, revision: number, maxReplicas: number, collisionCount?: number): KubeObject {
  const spec = deploymentSpec(d);
  const template = structuredClone(spec.template);
  const hash = computeTemplateHash(template, collisionCount);
  const meta = isRecord(template.metadata) ? template.metadata : (template.metadata = {});
  const labels = { ...(isRecord(meta.labels) ? (meta.labels as Record<string, string>) : {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  meta.labels = labels;
  const selector = structuredClone(spec.selector ?? {});
  selector.matchLabels = { ...(isRecord(selector.matchLabels) ? selector.matchLabels : {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const annotations: Record<string, string> = {};
  setNewReplicaSetAnnotations(d, annotations, revision, false, maxReplicas);
  return {
    apiVersion: apiVersionOf(REPLICA_SETS),
    kind: REPLICA_SETS.kind,
    metadata: {
      name: `${d.metadata?.name ?? ''}-${hash}`,
      namespace: d.metadata?.namespace,
      labels: { ...labels },
      annotations,
      ownerReferences: [controllerRefTo(DEPLOYMENTS, d)],
    },
    spec: { replicas, minReadySeconds: spec.minReadySeconds, selector, template },
  };
}
