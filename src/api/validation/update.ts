/**
 * Update rules (`ValidateObjectMetaUpdate` and the per-kind `Validate<Kind>Update`): which
 * fields may not change once an object exists. Run on the prepared new object (see
 * `prepareForUpdate`) against the stored one.
 */
import { forbidden, invalid, type FieldError } from '../field.ts';
import { apiVersionOf, type ResourceInfo } from '../kinds.ts';
import { validateEndpointSliceUpdate, validateServiceUpdate } from './service.ts';
import { validatePodPhaseTransition } from './pod-status.ts';
import { validateBindingUpdate } from '../rbac/validation.ts';
import { validatePriorityClassUpdate } from '../scheduling/priority-class.ts';
import { isRecord, jsonEqual, optionalRecord, recordList, type JsonObject, type KubeObject } from '../object.ts';

const IMMUTABLE = 'field is immutable';

function immutable(oldValue: unknown, newValue: unknown, path: string): FieldError[] {
  return jsonEqual(oldValue, newValue) ? [] : [invalid(path, newValue ?? null, IMMUTABLE)];
}

/** Field errors for changing `oldObj` into `newObj`; [] when the update is allowed. */
export function validateUpdate(info: ResourceInfo, oldObj: KubeObject, newObj: KubeObject): FieldError[] {
  const oldMeta = oldObj.metadata ?? {};
  const newMeta = newObj.metadata ?? {};
  const errs: FieldError[] = [];
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp']) {
    errs.push(...immutable(oldMeta[f], newMeta[f], `metadata.${f}`));
  }
  errs.push(...(UPDATE_RULES[`${apiVersionOf(info)}/${info.kind}`]?.(oldObj, newObj) ?? []));
  return errs;
}

type UpdateRule = (oldObj: KubeObject, newObj: KubeObject) => FieldError[];

const spec = (obj: KubeObject): JsonObject => optionalRecord(obj, 'spec') ?? {};

const selectorImmutable: UpdateRule = (o, n) => immutable(spec(o).selector, spec(n).selector, 'spec.selector');

const UPDATE_RULES: Record<string, UpdateRule> = {
  // The main resource keeps the stored status, so the phase rule bites on pods/status only.
  'v1/Pod': (o, n) => [...validatePodUpdate(o, n), ...validatePodPhaseTransition(o, n)],
  'v1/ConfigMap': (o, n) => validateImmutableData(o, n, ['data', 'binaryData']),
  'v1/Secret': (o, n) => [...immutable(o.type, n.type, 'type'), ...validateImmutableData(o, n, ['data'])],
  'v1/Service': validateServiceUpdate,
  'rbac.authorization.k8s.io/v1/RoleBinding': validateBindingUpdate,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': validateBindingUpdate,
  'discovery.k8s.io/v1/EndpointSlice': validateEndpointSliceUpdate,
  'v1/PersistentVolumeClaim': (o, n) => {
    // Only the storage request (expansion) and the attributes class may change; the binder sets
    // volumeName once, and a claim without a class may get one (the retroactive default class).
    const oldSpec = spec(o);
    const strip = (s: JsonObject): JsonObject => {
      const copy = structuredClone(s);
      delete copy.volumeAttributesClassName;
      const resources = optionalRecord(copy, 'resources');
      if (resources) delete resources.requests;
      if (!oldSpec.volumeName) delete copy.volumeName;
      if (oldSpec.storageClassName == null && !o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class']) delete copy.storageClassName;
      return copy;
    };
    return jsonEqual(strip(oldSpec), strip(spec(n)))
      ? []
      : [forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims')];
  },
  'scheduling.k8s.io/v1/PriorityClass': validatePriorityClassUpdate,
  'storage.k8s.io/v1/StorageClass': (o, n) => {
    const errs: FieldError[] = [];
    if (!jsonEqual(o.parameters ?? {}, n.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (o.provisioner !== n.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (o.reclaimPolicy !== n.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    errs.push(...immutable(o.volumeBindingMode, n.volumeBindingMode, 'volumeBindingMode'));
    return errs;
  },
  'apps/v1/Deployment': selectorImmutable,
  'apps/v1/ReplicaSet': selectorImmutable,
  'apps/v1/DaemonSet': selectorImmutable,
  'apps/v1/StatefulSet': (o, n) => {
    const mutable = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];
    const rest = (s: JsonObject): JsonObject => Object.fromEntries(Object.entries(s).filter(([k]) => !mutable.includes(k)));
    return jsonEqual(rest(spec(o)), rest(spec(n)))
      ? []
      : [
          forbidden(
            'spec',
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
          ),
        ];
  },
  'batch/v1/Job': (o, n) => [
    ...immutable(spec(o).selector, spec(n).selector, 'spec.selector'),
    ...immutable(spec(o).template, spec(n).template, 'spec.template'),
    ...immutable(spec(o).completionMode, spec(n).completionMode, 'spec.completionMode'),
  ],
};

const IMMUTABLE_SET = 'field is immutable when `immutable` is set';

/** ConfigMaps and Secrets marked `immutable: true` keep their data and the flag itself. */
function validateImmutableData(o: KubeObject, n: KubeObject, fields: string[]): FieldError[] {
  if (o.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (n.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE_SET));
  for (const f of fields) if (!jsonEqual(o[f] ?? {}, n[f] ?? {})) errs.push(forbidden(f, IMMUTABLE_SET));
  return errs;
}

const POD_UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * A pod's spec is fixed except container images, activeDeadlineSeconds, added tolerations,
 * removed scheduling gates and terminationGracePeriodSeconds going from negative to 1.
 */
function validatePodUpdate(o: KubeObject, n: KubeObject): FieldError[] {
  const oldSpec = spec(o);
  const newSpec = spec(n);
  const errs: FieldError[] = [];
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  const newDeadline = newSpec.activeDeadlineSeconds;
  if (typeof oldDeadline === 'number') {
    if (typeof newDeadline !== 'number') {
      errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
    } else if (newDeadline > oldDeadline) {
      errs.push(invalid('spec.activeDeadlineSeconds', newDeadline, 'must be less than or equal to previous value'));
    }
  }
  // Undo every allowed change on a copy; anything left differing is forbidden.
  const mutated = structuredClone(newSpec);
  for (const list of ['containers', 'initContainers']) {
    const oldList = recordList(oldSpec, list);
    const newList = recordList(mutated, list);
    if (oldList.length === newList.length) newList.forEach((c, i) => (c.image = oldList[i].image));
  }
  mutated.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  if (tolerationsOnlyAdded(oldSpec.tolerations, newSpec.tolerations)) mutated.tolerations = oldSpec.tolerations;
  if (gatesOnlyRemoved(oldSpec.schedulingGates, newSpec.schedulingGates)) mutated.schedulingGates = oldSpec.schedulingGates;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && newSpec.terminationGracePeriodSeconds === 1) {
    mutated.terminationGracePeriodSeconds = oldGrace;
  }
  if (!jsonEqual(withoutUndefined(mutated), withoutUndefined(oldSpec))) errs.push(forbidden('spec', POD_UPDATE_MESSAGE));
  return errs;
}

function withoutUndefined(obj: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

function tolerationsOnlyAdded(oldList: unknown, newList: unknown): boolean {
  const olds = Array.isArray(oldList) ? oldList : [];
  const news = Array.isArray(newList) ? newList : [];
  return olds.every((t) => news.some((u) => jsonEqual(t, u)));
}

function gatesOnlyRemoved(oldList: unknown, newList: unknown): boolean {
  const olds = Array.isArray(oldList) ? oldList : [];
  const news = Array.isArray(newList) ? newList : [];
  return news.every((g) => olds.some((h) => isRecord(g) && isRecord(h) && g.name === h.name));
}
